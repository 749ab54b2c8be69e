/** Flag value parsers: each names the flag and the expected form in its error. */
import { InvalidArgumentError } from 'commander';

export const positiveInt = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} expects a positive integer, got '${v}'`);
  return n;
};

export const intList = (flag: string) => (v: string): number[] => {
  const parts = v.split(',').map((s) => Number(s.trim()));
  if (parts.length === 0 || parts.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InvalidArgumentError(`${flag} expects comma-separated positive integers such as 128,64,16,16, got '${v}'`);
  }
  return parts;
};

export const numberPair = (flag: string) => (v: string): [number, number] => {
  const parts = v.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n))) throw new InvalidArgumentError(`${flag} expects lo,hi such as -6,6, got '${v}'`);
  return [parts[0], parts[1]];
};

export const positiveNumber = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} expects a positive number, got '${v}'`);
  return n;
};

export const nonNegativeNumber = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${flag} expects a number ≥ 0, got '${v}'`);
  return n;
};

export const numberList = (flag: string) => (v: string): number[] => {
  const parts = v.split(',').map((s) => Number(s.trim()));
  if (parts.some((n) => !Number.isFinite(n) || n < 0)) throw new InvalidArgumentError(`${flag} expects comma-separated numbers ≥ 0, got '${v}'`);
  return parts;
};

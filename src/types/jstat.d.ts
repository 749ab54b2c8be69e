// The two jStat distributions actbench uses (jstat ships no type declarations).
declare module 'jstat' {
  const jStat: {
    studentt: { cdf(x: number, dof: number): number };
    normal: { cdf(x: number, mean: number, std: number): number };
  };
  export default jStat;
}

/**
 * The ONNX protobuf classes. The code is generated from onnx.proto at build time (scripts/gen-proto.mjs,
 * run by `npm run build`, `npm test` and `npm run typecheck`) into generated/proto/ at the package root,
 * outside src/ and dist/; this module is its one import path for both (same depth: src/onnx → dist/onnx).
 */
export { onnx } from '../../../generated/proto/onnx.js';

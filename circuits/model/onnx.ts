/**
 * ONNX protobuf decoding/encoding.
 *
 * We carry our own copy of the subset of onnx.proto we need (field numbers and types copied from the
 * ONNX spec, onnx/onnx.proto, IR version 8) and let protobufjs build codecs from it at load time. This
 * avoids a generated-code dependency and keeps unknown fields (training info, functions, metadata)
 * harmlessly skipped by the decoder.
 */
import protobuf from 'protobufjs';
import { ZkaiError } from '../../common/errors.ts';

const ONNX_PROTO_SUBSET = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; SPARSE_TENSOR = 11; TYPE_PROTO = 13;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10; SPARSE_TENSORS = 12; TYPE_PROTOS = 14;
  }
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13;
  optional int32 data_location = 14;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  optional string denotation = 6;
}
`;

/** ONNX TensorProto.DataType values we can read. */
export const OnnxDataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;

/** ONNX AttributeProto.AttributeType values. */
export const OnnxAttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  floatData: number[];
  int32Data: number[];
  int64Data: number[];
  doubleData: number[];
  rawData?: Uint8Array;
  /** Non-empty when the tensor's data lives in an external file (unsupported here). */
  externalData: { key: string; value: string }[];
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats: number[];
  ints: number[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
}

export interface OnnxValueInfo {
  name: string;
  /** Tensor element type, 0 when not a tensor type. */
  elemType: number;
  /** Dimensions; a symbolic dimension (dim_param) or a missing one is -1. Undefined when the shape is unknown. */
  shape?: number[];
}

export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsetImport: { domain: string; version: number }[];
  graph: OnnxGraph;
}

let root: protobuf.Root | undefined;
function modelType(): protobuf.Type {
  root ??= protobuf.parse(ONNX_PROTO_SUBSET, { keepCase: true }).root;
  return root.lookupType('onnx.ModelProto');
}

// biome-ignore lint/suspicious/noExplicitAny: protobufjs toObject output is untyped; we narrow it field by field below.
type Raw = any;

const arr = <T>(v: T[] | undefined): T[] => v ?? [];

function toTensor(t: Raw): OnnxTensor {
  return {
    name: t.name ?? '',
    dims: arr<number>(t.dims),
    dataType: t.data_type ?? 0,
    floatData: arr(t.float_data),
    int32Data: arr(t.int32_data),
    int64Data: arr(t.int64_data),
    doubleData: arr(t.double_data),
    rawData: t.raw_data && t.raw_data.length > 0 ? new Uint8Array(t.raw_data) : undefined,
    externalData: arr<Raw>(t.external_data).map((e) => ({ key: e.key ?? '', value: e.value ?? '' })),
  };
}

function toValueInfo(v: Raw): OnnxValueInfo {
  const tt = v.type?.tensor_type;
  const dims: Raw[] | undefined = tt?.shape ? arr<Raw>(tt.shape.dim) : undefined;
  return {
    name: v.name ?? '',
    elemType: tt?.elem_type ?? 0,
    shape: dims?.map((d) => (typeof d.dim_value === 'number' ? d.dim_value : -1)),
  };
}

function toNode(n: Raw): OnnxNode {
  return {
    name: n.name ?? '',
    opType: n.op_type ?? '',
    domain: n.domain ?? '',
    input: arr(n.input),
    output: arr(n.output),
    attribute: arr<Raw>(n.attribute).map((a) => ({
      name: a.name ?? '',
      type: a.type ?? 0,
      f: a.f,
      i: a.i,
      s: a.s ? new Uint8Array(a.s) : undefined,
      t: a.t ? toTensor(a.t) : undefined,
      floats: arr(a.floats),
      ints: arr(a.ints),
    })),
  };
}

/**
 * Decodes the bytes of an .onnx file into plain typed objects (int64 fields become JS numbers, which is
 * exact for every shape/attribute value a small model can have). Throws BAD_INPUT on malformed protobuf
 * or a model without a graph.
 */
export function decodeOnnx(bytes: Uint8Array): OnnxModel {
  let raw: Raw;
  try {
    const type = modelType();
    raw = type.toObject(type.decode(bytes), { longs: Number, arrays: true });
  } catch (err) {
    throw new ZkaiError('BAD_INPUT', `not a valid ONNX model: ${(err as Error).message}`);
  }
  if (!raw.graph) throw new ZkaiError('BAD_INPUT', 'ONNX model has no graph');
  const g = raw.graph;
  return {
    irVersion: raw.ir_version ?? 0,
    producerName: raw.producer_name ?? '',
    producerVersion: raw.producer_version ?? '',
    opsetImport: arr<Raw>(raw.opset_import).map((o) => ({ domain: o.domain ?? '', version: o.version ?? 0 })),
    graph: {
      name: g.name ?? '',
      node: arr<Raw>(g.node).map(toNode),
      initializer: arr<Raw>(g.initializer).map(toTensor),
      input: arr<Raw>(g.input).map(toValueInfo),
      output: arr<Raw>(g.output).map(toValueInfo),
      valueInfo: arr<Raw>(g.value_info).map(toValueInfo),
    },
  };
}

/** Minimal description of a model to encode; see {@link encodeOnnx}. */
export interface OnnxModelSpec {
  opset?: number;
  inputs: { name: string; shape: number[] }[];
  outputs: { name: string; shape?: number[] }[];
  /** Float32 initializers, or int64 ones (shape tensors, axes) with `int64: true`. */
  initializers?: { name: string; dims: number[]; floats: number[]; int64?: boolean }[];
  nodes: {
    name: string;
    opType: string;
    input: string[];
    output: string[];
    ints?: Record<string, number[]>;
    int?: Record<string, number>;
    float?: Record<string, number>;
    /** String attributes (UTF-8 bytes in the file). */
    strings?: Record<string, string>;
    docString?: string;
  }[];
  /** producer_name (default 'zkai-test'). */
  producer?: string;
}

/**
 * Encodes a small float32 model as ONNX bytes. Used to build test models by hand (for instance a graph
 * with an op we do not support) without Python; not meant as a general ONNX writer.
 */
export function encodeOnnx(spec: OnnxModelSpec): Uint8Array {
  const vi = (v: { name: string; shape?: number[] }) => ({
    name: v.name,
    type: { tensor_type: { elem_type: OnnxDataType.FLOAT, shape: v.shape ? { dim: v.shape.map((d) => ({ dim_value: d })) } : undefined } },
  });
  const attrs = (n: OnnxModelSpec['nodes'][number]) => [
    ...Object.entries(n.ints ?? {}).map(([name, ints]) => ({ name, type: OnnxAttributeType.INTS, ints })),
    ...Object.entries(n.int ?? {}).map(([name, i]) => ({ name, type: OnnxAttributeType.INT, i })),
    ...Object.entries(n.float ?? {}).map(([name, f]) => ({ name, type: OnnxAttributeType.FLOAT, f })),
    ...Object.entries(n.strings ?? {}).map(([name, v]) => ({ name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(v) })),
  ];
  const type = modelType();
  const msg = type.fromObject({
    ir_version: 8,
    producer_name: spec.producer ?? 'zkai-test',
    opset_import: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'g',
      node: spec.nodes.map((n) => ({
        name: n.name,
        op_type: n.opType,
        input: n.input,
        output: n.output,
        attribute: attrs(n),
        ...(n.docString !== undefined ? { doc_string: n.docString } : {}),
      })),
      initializer: (spec.initializers ?? []).map((t) =>
        t.int64
          ? { name: t.name, dims: t.dims, data_type: OnnxDataType.INT64, int64_data: t.floats }
          : { name: t.name, dims: t.dims, data_type: OnnxDataType.FLOAT, float_data: t.floats },
      ),
      input: spec.inputs.map(vi),
      output: spec.outputs.map(vi),
    },
  });
  return type.encode(msg).finish();
}

function elementCount(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/**
 * Reads a numeric tensor's values as float64 numbers, whatever its storage (typed *_data field or
 * little-endian raw_data). int64 values beyond 2^53 lose precision, which is fine for weights and shapes.
 */
export function tensorValues(t: OnnxTensor): number[] {
  if (t.externalData.length > 0) {
    throw new ZkaiError(
      'BAD_INPUT',
      `ONNX tensor '${t.name}' uses external data, which is not supported (save the model with weights inline)`,
    );
  }
  const n = elementCount(t.dims);
  let out: number[];
  if (t.rawData) {
    const raw = t.rawData;
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const read: Record<number, [number, (o: number) => number]> = {
      [OnnxDataType.FLOAT]: [4, (o) => dv.getFloat32(o, true)],
      [OnnxDataType.DOUBLE]: [8, (o) => dv.getFloat64(o, true)],
      [OnnxDataType.INT64]: [8, (o) => Number(dv.getBigInt64(o, true))],
      [OnnxDataType.INT32]: [4, (o) => dv.getInt32(o, true)],
      [OnnxDataType.INT8]: [1, (o) => dv.getInt8(o)],
      [OnnxDataType.UINT8]: [1, (o) => dv.getUint8(o)],
      [OnnxDataType.BOOL]: [1, (o) => dv.getUint8(o)],
    };
    const r = read[t.dataType];
    if (!r) throw new ZkaiError('BAD_INPUT', `ONNX tensor '${t.name}' has unsupported data type ${t.dataType}`);
    const [size, get] = r;
    if (raw.byteLength !== n * size) {
      throw new ZkaiError(
        'BAD_INPUT',
        `ONNX tensor '${t.name}': raw_data is ${raw.byteLength} bytes, expected ${n * size} for dims [${t.dims}]`,
      );
    }
    out = Array.from({ length: n }, (_, k) => get(k * size));
  } else {
    switch (t.dataType) {
      case OnnxDataType.FLOAT:
        out = t.floatData;
        break;
      case OnnxDataType.DOUBLE:
        out = t.doubleData;
        break;
      case OnnxDataType.INT64:
        out = t.int64Data;
        break;
      case OnnxDataType.INT32:
      case OnnxDataType.INT8:
      case OnnxDataType.UINT8:
      case OnnxDataType.BOOL:
        out = t.int32Data;
        break;
      default:
        throw new ZkaiError('BAD_INPUT', `ONNX tensor '${t.name}' has unsupported data type ${t.dataType}`);
    }
    if (out.length !== n) {
      throw new ZkaiError('BAD_INPUT', `ONNX tensor '${t.name}' holds ${out.length} values, expected ${n} for dims [${t.dims}]`);
    }
  }
  return out.map(Number);
}

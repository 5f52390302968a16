import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import protobuf from 'protobufjs';
import descriptorExt, { type IDescriptorProto, type IFileDescriptorProto } from 'protobufjs/ext/descriptor/index.js';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { PROTO_DIR, PROTO_FILES } from './proto.js';

/** A .proto file on disk and the name clients know it by (its import path). */
export interface ProtoSource {
  /** Import path, e.g. `grpc/health/v1/health.proto`: the descriptor's `name`. */
  name: string;
  /** Where it is on disk. */
  file: string;
}

const require = createRequire(import.meta.url);
const REFLECTION_PROTO_DIR = path.resolve(path.dirname(require.resolve('@grpc/reflection')), '..', 'proto');

/**
 * Every service the server exposes, including the standard ones, so reflection
 * lists and describes all of them: streamtune's protos, gRPC health checking and
 * server reflection itself (v1 and v1alpha).
 */
export const SERVED_PROTOS: readonly ProtoSource[] = [
  ...PROTO_FILES.map((name) => ({ name, file: path.join(PROTO_DIR, name) })),
  { name: 'grpc/health/v1/health.proto', file: healthProtoPath },
  { name: 'grpc/reflection/v1/reflection.proto', file: path.join(REFLECTION_PROTO_DIR, 'grpc', 'reflection', 'v1', 'reflection.proto') },
  { name: 'grpc/reflection/v1alpha/reflection.proto', file: path.join(REFLECTION_PROTO_DIR, 'grpc', 'reflection', 'v1alpha', 'reflection.proto') },
];

/** protoc's name of a map field's entry type: `parameters` → `ParametersEntry`, `raw_map` → `RawMapEntry`. */
export function mapEntryName(field: string): string {
  return `${field.replace(/(?:^|_)([a-z0-9])/g, (_, c: string) => c.toUpperCase()).replace(/_/g, '')}Entry`;
}

/** protoc's `json_name`: lowerCamelCase of the field name. */
function jsonName(field: string): string {
  return field.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `protobufjs/ext/descriptor` adds `toDescriptor` to reflection objects at runtime; its typings do not declare it. */
function describe<T>(obj: protobuf.ReflectionObject): T {
  return (obj as unknown as { toDescriptor(syntax: string): T }).toDescriptor('proto3');
}

/**
 * protobufjs writes a map field's entry type as `Views` (not `ViewsEntry`) and
 * type references relative to the scope; protobuf-go (grpcurl) rejects the first
 * ("incorrect implicit map entry name"). This rewrites a message as protoc does:
 * `<Field>Entry` entry types, fully-qualified type names, `json_name` set.
 */
function fixMessage(d: IDescriptorProto, type: protobuf.Type): void {
  for (const fd of d.field ?? []) {
    const field = type.fields[fd.name!];
    if (!field) continue;
    fd.jsonName = jsonName(field.name);
    if (field instanceof protobuf.MapField) {
      const entry = (d.nestedType ?? []).find((n) => n.name === fd.typeName && n.options?.mapEntry);
      if (!entry) throw new Error(`map entry of ${type.fullName}.${field.name} not found`);
      entry.name = mapEntryName(field.name);
      fd.typeName = `${type.fullName}.${entry.name}`;
      for (const kv of entry.field ?? []) kv.jsonName = kv.name!;
      const value = entry.field?.[1];
      if (value && field.resolvedType) value.typeName = field.resolvedType.fullName;
    } else if (field.resolvedType) {
      fd.typeName = field.resolvedType.fullName;
    }
    // protobufjs marks every proto3 field "packed = false" unless packed; protoc leaves the option unset.
    if (fd.options && Object.keys(fd.options).every((k) => k === 'packed')) delete fd.options;
  }
  for (const nested of type.nestedArray) {
    if (!(nested instanceof protobuf.Type)) continue;
    const d2 = (d.nestedType ?? []).find((n) => n.name === nested.name && !n.options?.mapEntry);
    if (d2) fixMessage(d2, nested);
  }
}

/**
 * Builds the `FileDescriptorProto` of each source as protoc would: one per .proto
 * file under its import path, with its package, imports and services. (proto-loader
 * merges the files of a package into `streamtune_v1.proto` and names map entries
 * wrongly, which strict clients such as grpcurl reject.)
 */
export function buildFileDescriptors(sources: readonly ProtoSource[] = SERVED_PROTOS): IFileDescriptorProto[] {
  const out: IFileDescriptorProto[] = [];
  const byFile = new Map(sources.map((s) => [path.resolve(s.file), s.name]));
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    // Imports are resolved against the files we were given, by import path.
    const known = sources.find((s) => s.name === target);
    return known ? known.file : protobuf.util.path.resolve(origin, target);
  };
  root.loadSync(sources.map((s) => s.file), { keepCase: true });
  root.resolveAll();
  for (const source of sources) {
    const parsed = protobuf.parse(fs.readFileSync(source.file, 'utf8'), { keepCase: true });
    const file: IFileDescriptorProto = {
      name: source.name,
      package: parsed.package ?? '',
      dependency: [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])],
      messageType: [],
      enumType: [],
      service: [],
      syntax: 'proto3',
    };
    const pkg = parsed.package ? root.lookup(parsed.package) : root;
    if (!(pkg instanceof protobuf.Namespace)) throw new Error(`package ${parsed.package} of ${source.name} not loaded`);
    for (const obj of pkg.nestedArray) {
      if (!obj.filename || byFile.get(path.resolve(obj.filename)) !== source.name) continue;
      if (obj instanceof protobuf.Type) {
        const d = describe<IDescriptorProto>(obj);
        fixMessage(d, obj);
        file.messageType!.push(d);
      } else if (obj instanceof protobuf.Enum) {
        file.enumType!.push(describe(obj));
      } else if (obj instanceof protobuf.Service) {
        file.service!.push(describe(obj));
      }
    }
    out.push(file);
  }
  return out;
}

/**
 * The descriptors in the shape `@grpc/reflection` reads (a package definition whose
 * entries carry `fileDescriptorProtos`), encoded once.
 *
 * @example
 * new ReflectionService(reflectionPackageDefinition()).addToServer(server);
 */
export function reflectionPackageDefinition(sources: readonly ProtoSource[] = SERVED_PROTOS): Record<string, { fileDescriptorProtos: Buffer[] }> {
  const encoded = buildFileDescriptors(sources).map((f) => Buffer.from(descriptorExt.FileDescriptorProto.encode(descriptorExt.FileDescriptorProto.fromObject(f as Record<string, unknown>)).finish()));
  return { descriptors: { fileDescriptorProtos: encoded } };
}

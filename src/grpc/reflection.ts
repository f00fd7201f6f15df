// gRPC server reflection (grpc.reflection.v1 and v1alpha) answered from the real
// FileDescriptorSet: original file names, real dependency lists, the requested
// file first and its transitive imports after, each file sent once per stream
// (as grpc-go does). @grpc/reflection rebuilds descriptors per package with empty
// dependency lists, which strict clients such as grpcurl reject. Files are read with
// protobufjs's descriptor types (the runtime @grpc/proto-loader already loaded) and
// served as the original bytes of the set.
import type * as grpc from "@grpc/grpc-js";
import descriptor from "protobufjs/ext/descriptor/index.js";

/** The fields of descriptor.proto the index reads (protobufjs names them in camelCase). */
interface FieldDescriptorProto {
  readonly name: string;
  readonly number: number;
  readonly extendee?: string;
}
interface EnumDescriptorProto {
  readonly name: string;
}
interface DescriptorProto {
  readonly name: string;
  readonly nestedType?: readonly DescriptorProto[];
  readonly enumType?: readonly EnumDescriptorProto[];
  readonly extension?: readonly FieldDescriptorProto[];
}
interface FileDescriptorProto {
  readonly name: string;
  readonly package?: string;
  readonly dependency?: readonly string[];
  readonly messageType?: readonly DescriptorProto[];
  readonly enumType?: readonly EnumDescriptorProto[];
  readonly extension?: readonly FieldDescriptorProto[];
  readonly service?: readonly { readonly name: string; readonly method?: readonly { readonly name: string }[] }[];
}

/** The length-delimited `file` entries (field 1) of a FileDescriptorSet, as the bytes they are. */
function fileEntries(set: Uint8Array): Uint8Array[] {
  const entries: Uint8Array[] = [];
  const varint = (at: number): [value: number, next: number] => {
    let value = 0;
    for (let shift = 0, i = at; i < set.length && shift < 35; shift += 7, i++) {
      value += (set[i]! & 0x7f) * 2 ** shift;
      if ((set[i]! & 0x80) === 0) return [value, i + 1];
    }
    throw new Error("descriptor set: malformed varint");
  };
  for (let at = 0; at < set.length;) {
    if (set[at] !== 0x0a) throw new Error(`descriptor set: unexpected field tag ${set[at]}`);
    const [length, start] = varint(at + 1);
    entries.push(set.subarray(start, start + length));
    at = start + length;
  }
  return entries;
}

interface IndexedFile {
  readonly name: string;
  readonly dependencies: readonly string[];
  readonly bytes: Uint8Array;
}

export interface ReflectionIndex {
  readonly services: readonly string[];
  fileNamed(name: string): IndexedFile | undefined;
  fileDefining(symbol: string): IndexedFile | undefined;
  fileExtending(typeName: string, number: number): IndexedFile | undefined;
  extensionNumbers(typeName: string): readonly number[] | undefined;
}

function qualified(prefix: string, name: string): string {
  return prefix === "" ? name : `${prefix}.${name}`;
}

function indexFile(file: FileDescriptorProto, symbols: Map<string, string>, extensions: Map<string, Map<number, string>>): void {
  const addExtensions = (fields: readonly FieldDescriptorProto[] = [], scope: string) => {
    for (const field of fields) {
      symbols.set(qualified(scope, field.name), file.name);
      const extendee = (field.extendee ?? "").replace(/^\./, "");
      const byNumber = extensions.get(extendee) ?? new Map<number, string>();
      byNumber.set(field.number, file.name);
      extensions.set(extendee, byNumber);
    }
  };
  const addEnum = (enumType: EnumDescriptorProto, scope: string) => symbols.set(qualified(scope, enumType.name), file.name);
  const addMessage = (message: DescriptorProto, scope: string) => {
    const name = qualified(scope, message.name);
    symbols.set(name, file.name);
    message.nestedType?.forEach((nested) => addMessage(nested, name));
    message.enumType?.forEach((nested) => addEnum(nested, name));
    addExtensions(message.extension, name);
  };
  const pkg = file.package ?? "";
  file.messageType?.forEach((message) => addMessage(message, pkg));
  file.enumType?.forEach((enumType) => addEnum(enumType, pkg));
  addExtensions(file.extension, pkg);
  for (const service of file.service ?? []) {
    const name = qualified(pkg, service.name);
    symbols.set(name, file.name);
    service.method?.forEach((method) => symbols.set(`${name}.${method.name}`, file.name));
  }
}

export function indexDescriptorSet(set: Uint8Array, servedServices: readonly string[]): ReflectionIndex {
  const files = new Map<string, IndexedFile>();
  const symbols = new Map<string, string>();
  const extensions = new Map<string, Map<number, string>>();
  for (const bytes of fileEntries(set)) {
    const file = descriptor.FileDescriptorProto.decode(bytes) as unknown as FileDescriptorProto;
    files.set(file.name, { name: file.name, dependencies: file.dependency ?? [], bytes });
    indexFile(file, symbols, extensions);
  }
  for (const service of servedServices) {
    if (!symbols.has(service)) throw new Error(`served service ${service} is not in the descriptor set`);
  }
  const fileOf = (name: string | undefined) => (name === undefined ? undefined : files.get(name));
  return {
    services: [...servedServices].sort(),
    fileNamed: (name) => files.get(name),
    fileDefining: (symbol) => fileOf(symbols.get(symbol.replace(/^\./, ""))),
    fileExtending: (typeName, number) => fileOf(extensions.get(typeName.replace(/^\./, ""))?.get(number)),
    extensionNumbers: (typeName) => {
      const byNumber = extensions.get(typeName.replace(/^\./, ""));
      if (byNumber !== undefined) return [...byNumber.keys()].sort((a, b) => a - b);
      return symbols.has(typeName.replace(/^\./, "")) ? [] : undefined;
    },
  };
}

/** BFS over imports: the requested file always, each dependency once per stream. */
function withDependencies(index: ReflectionIndex, file: IndexedFile, sent: Set<string>): Uint8Array[] {
  const out: Uint8Array[] = [];
  const queue: IndexedFile[] = [file];
  while (queue.length > 0) {
    const current = queue.shift()!;
    if (out.length > 0 && sent.has(current.name)) continue;
    sent.add(current.name);
    out.push(current.bytes);
    for (const dependency of current.dependencies) {
      const next = index.fileNamed(dependency);
      if (next !== undefined && !sent.has(dependency)) queue.push(next);
    }
  }
  return out;
}

const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;

interface ReflectionRequest {
  host?: string;
  message_request?: string;
  file_by_filename?: string;
  file_containing_symbol?: string;
  file_containing_extension?: { containing_type?: string; extension_number?: number };
  all_extension_numbers_of_type?: string;
  list_services?: string;
}

function answer(index: ReflectionIndex, request: ReflectionRequest, sent: Set<string>): Record<string, unknown> {
  const error = (code: number, message: string) => ({ error_response: { error_code: code, error_message: message } });
  const files = (file: IndexedFile | undefined, what: string) =>
    file === undefined ? error(NOT_FOUND, `${what} not found`) : { file_descriptor_response: { file_descriptor_proto: withDependencies(index, file, sent) } };
  switch (request.message_request) {
    case "list_services":
      return { list_services_response: { service: index.services.map((name) => ({ name })) } };
    case "file_by_filename":
      return files(index.fileNamed(request.file_by_filename ?? ""), `file ${request.file_by_filename}`);
    case "file_containing_symbol":
      return files(index.fileDefining(request.file_containing_symbol ?? ""), `symbol ${request.file_containing_symbol}`);
    case "file_containing_extension": {
      const { containing_type = "", extension_number = 0 } = request.file_containing_extension ?? {};
      return files(index.fileExtending(containing_type, extension_number), `extension ${extension_number} of ${containing_type}`);
    }
    case "all_extension_numbers_of_type": {
      const type = request.all_extension_numbers_of_type ?? "";
      const numbers = index.extensionNumbers(type);
      return numbers === undefined
        ? error(NOT_FOUND, `type ${type} not found`)
        : { all_extension_numbers_response: { base_type_name: type.replace(/^\./, ""), extension_number: numbers } };
    }
    default:
      return error(INVALID_ARGUMENT, "unknown reflection request");
  }
}

/** The ServerReflectionInfo bidi handler; the same for v1 and v1alpha. */
export function reflectionHandlers(index: ReflectionIndex): grpc.UntypedServiceImplementation {
  return {
    ServerReflectionInfo(call: grpc.ServerDuplexStream<ReflectionRequest, unknown>) {
      const sent = new Set<string>();
      call.on("data", (request: ReflectionRequest) => {
        call.write({ valid_host: request.host ?? "", original_request: request, ...answer(index, request, sent) });
      });
      call.on("end", () => call.end());
      call.on("error", () => call.end());
    },
  };
}

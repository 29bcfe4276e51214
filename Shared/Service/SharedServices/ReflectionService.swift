public import ConformProtos
import ConformWire
public import Foundation
public import GRPCCore
import SwiftProtobuf

/// gRPC server reflection (grpc.reflection.v1, and v1alpha for older tools): lists the
/// services this server serves and hands out the descriptors of their .proto files, so
/// grpcurl, Postman, Kreya or grpcio-reflection can call any RPC without our protos.
public struct ReflectionService: Grpc_Reflection_V1_ServerReflection.SimpleServiceProtocol {
    private let catalog: DescriptorCatalog

    /// - Parameter serviceNames: the fully qualified gRPC services this server serves.
    public init(serviceNames: [String]) {
        self.catalog = DescriptorCatalog(serviceNames: serviceNames)
    }

    /// The fully qualified services `services` register, with the two reflection services.
    public static func serviceNames(of services: [any RegistrableRPCService]) -> [String] {
        var router = RPCRouter<ConformWireServerTransport>()
        for service in services {
            service.registerMethods(with: &router)
        }
        let names = Set(router.methods.map(\.service.fullyQualifiedService))
        return names.union(["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]).sorted()
    }

    public func serverReflectionInfo(
        request: RPCAsyncSequence<Grpc_Reflection_V1_ServerReflectionRequest, any Error>,
        response: RPCWriter<Grpc_Reflection_V1_ServerReflectionResponse>,
        context: ServerContext
    ) async throws {
        for try await question in request {
            try await response.write(self.catalog.answer(question))
        }
    }
}

/// The same service under grpc.reflection.v1alpha: its messages are the v1 messages byte for byte.
public struct ReflectionServiceV1Alpha: Grpc_Reflection_V1alpha_ServerReflection.SimpleServiceProtocol {
    private let catalog: DescriptorCatalog

    public init(serviceNames: [String]) {
        self.catalog = DescriptorCatalog(serviceNames: serviceNames)
    }

    public func serverReflectionInfo(
        request: RPCAsyncSequence<Grpc_Reflection_V1alpha_ServerReflectionRequest, any Error>,
        response: RPCWriter<Grpc_Reflection_V1alpha_ServerReflectionResponse>,
        context: ServerContext
    ) async throws {
        for try await question in request {
            let v1 = try Grpc_Reflection_V1_ServerReflectionRequest(serializedBytes: try question.serializedBytes() as [UInt8])
            let answer = self.catalog.answer(v1)
            try await response.write(Grpc_Reflection_V1alpha_ServerReflectionResponse(serializedBytes: try answer.serializedBytes() as [UInt8]))
        }
    }
}

/// The descriptors of every API, indexed by file and by symbol, read once per process.
struct DescriptorCatalog: Sendable {
    private let serviceNames: [String]
    private let index: DescriptorIndex

    init(serviceNames: [String]) {
        self.serviceNames = serviceNames.sorted()
        self.index = DescriptorIndex.shared
    }

    func answer(_ question: Grpc_Reflection_V1_ServerReflectionRequest) -> Grpc_Reflection_V1_ServerReflectionResponse {
        var answer = Grpc_Reflection_V1_ServerReflectionResponse()
        answer.validHost = question.host
        answer.originalRequest = question
        switch question.messageRequest {
        case .listServices:
            answer.listServicesResponse = .with {
                $0.service = self.serviceNames.map { name in .with { $0.name = name } }
            }
        case .fileByFilename(let name):
            if let files = self.index.fileWithDependencies(name) {
                answer.fileDescriptorResponse = .with { $0.fileDescriptorProto = files }
            } else {
                answer.errorResponse = Self.notFound("no file named '\(name)'; list_services, then file_containing_symbol, finds the files there are")
            }
        case .fileContainingSymbol(let symbol):
            let trimmed = symbol.hasPrefix(".") ? String(symbol.dropFirst()) : symbol
            if let file = self.index.file(declaring: trimmed), let files = self.index.fileWithDependencies(file) {
                answer.fileDescriptorResponse = .with { $0.fileDescriptorProto = files }
            } else {
                answer.errorResponse = Self.notFound("no symbol '\(symbol)'; list_services names the services there are")
            }
        case .fileContainingExtension(let request):
            answer.errorResponse = Self.notFound("no extension \(request.extensionNumber) of '\(request.containingType)': Conform's APIs declare no extensions")
        case .allExtensionNumbersOfType(let type):
            if self.index.file(declaring: type) != nil {
                answer.allExtensionNumbersResponse = .with { $0.baseTypeName = type }
            } else {
                answer.errorResponse = Self.notFound("no message type '\(type)'")
            }
        case nil:
            answer.errorResponse = .with {
                $0.errorCode = Int32(Status.Code.invalidArgument.rawValue)
                $0.errorMessage = "the request names no question: set one of file_by_filename, file_containing_symbol, file_containing_extension, all_extension_numbers_of_type, list_services"
            }
        }
        return answer
    }

    private static func notFound(_ message: String) -> Grpc_Reflection_V1_ErrorResponse {
        .with {
            $0.errorCode = Int32(Status.Code.notFound.rawValue)
            $0.errorMessage = message
        }
    }
}

/// Files by name (serialized, as reflection hands them out) and every symbol's file.
final class DescriptorIndex: Sendable {
    static let shared = DescriptorIndex()

    private let files: [String: Data]
    private let dependencies: [String: [String]]
    private let symbols: [String: String]

    private init() {
        var files: [String: Data] = [:]
        var dependencies: [String: [String]] = [:]
        var symbols: [String: String] = [:]
        // Generated by dev/generate-protos.sh; a build whose set does not parse is broken.
        let set = (try? Google_Protobuf_FileDescriptorSet(serializedBytes: Data(base64Encoded: ConformDescriptorSet.base64) ?? Data()))
            ?? Google_Protobuf_FileDescriptorSet()
        for file in set.file {
            files[file.name] = (try? file.serializedBytes()) ?? Data()
            dependencies[file.name] = file.dependency
            let prefix = file.package.isEmpty ? "" : file.package + "."
            for message in file.messageType {
                Self.index(message, prefix: prefix, file: file.name, into: &symbols)
            }
            for enumeration in file.enumType {
                symbols[prefix + enumeration.name] = file.name
            }
            for service in file.service {
                symbols[prefix + service.name] = file.name
                for method in service.method {
                    symbols[prefix + service.name + "." + method.name] = file.name
                }
            }
        }
        self.files = files
        self.dependencies = dependencies
        self.symbols = symbols
    }

    private static func index(_ message: Google_Protobuf_DescriptorProto, prefix: String, file: String, into symbols: inout [String: String]) {
        let name = prefix + message.name
        symbols[name] = file
        for nested in message.nestedType {
            Self.index(nested, prefix: name + ".", file: file, into: &symbols)
        }
        for enumeration in message.enumType {
            symbols[name + "." + enumeration.name] = file
        }
    }

    /// The file that declares `symbol` (a message, enum, service or method, fully qualified).
    func file(declaring symbol: String) -> String? {
        self.symbols[symbol]
    }

    /// The file and every file it imports, directly or not, the file first.
    func fileWithDependencies(_ name: String) -> [Data]? {
        guard self.files[name] != nil else { return nil }
        var order: [String] = []
        var seen: Set<String> = []
        var pending = [name]
        while let next = pending.popLast() {
            guard seen.insert(next).inserted else { continue }
            order.append(next)
            pending += self.dependencies[next] ?? []
        }
        return order.compactMap { self.files[$0] }
    }
}

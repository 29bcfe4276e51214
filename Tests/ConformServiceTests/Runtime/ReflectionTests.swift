import ConformProtos
import Foundation
import GRPCCore
import SwiftProtobuf
import Testing

@Suite("Server reflection: a stock tool discovers every API without the protos", .timeLimit(.minutes(5)))
struct ReflectionTests {
    private typealias Request = Grpc_Reflection_V1_ServerReflectionRequest
    private typealias Response = Grpc_Reflection_V1_ServerReflectionResponse

    /// Asks each question on one reflection stream over HTTP/2, as grpcurl does, as `principal`.
    private static func ask(_ service: RunningService, as principal: String = "operator", _ questions: [Request]) async throws -> [Response] {
        try await service.withHTTP2Client(as: principal) { client in
            let reflection = Grpc_Reflection_V1_ServerReflection.Client(wrapping: client)
            return try await reflection.serverReflectionInfo(
                requestProducer: { writer in try await writer.write(contentsOf: questions) }
            ) { response in
                var answers: [Response] = []
                for try await answer in response.messages { answers.append(answer) }
                return answers
            }
        }
    }

    @Test("list_services names every service served; each resolves to its file with all it imports; unknowns are NOT_FOUND")
    func discoverAndDescribe() async throws {
        try await withRequirementService(suite: "reflection") { service in
            let listed = try await Self.ask(service, [.with { $0.listServices = "" }])
            let names = listed.first?.listServicesResponse.service.map(\.name) ?? []
            for expected in [
                "conform.requirement.v1.RequirementService", "conform.requirement.v1.RequirementCatalog", "grpc.health.v1.Health",
                "conform.audit.v1.AuditTrail", "conform.events.v1.EventFeed", "grpc.reflection.v1.ServerReflection",
            ] {
                #expect(names.contains(expected), "list_services left out \(expected): \(names)")
            }

            // Every listed service, and one method and one message, resolve to parseable descriptors.
            let questions: [Request] = names.map { name in .with { $0.fileContainingSymbol = name } } + [
                .with { $0.fileContainingSymbol = "conform.requirement.v1.RequirementService.CreateCustomer" },
                .with { $0.fileContainingSymbol = "conform.requirement.v1.Customer" },
                .with { $0.fileByFilename = "conform/requirement/v1/requirement.proto" },
                .with { $0.fileContainingSymbol = "conform.requirement.v1.NoSuchThing" },
                .with { $0.fileByFilename = "nope.proto" },
            ]
            let answers = try await Self.ask(service, questions)
            #expect(answers.count == questions.count)
            for (question, answer) in zip(questions.dropLast(2), answers.dropLast(2)) {
                let files = try answer.fileDescriptorResponse.fileDescriptorProto.map { try Google_Protobuf_FileDescriptorProto(serializedBytes: $0) }
                #expect(!files.isEmpty, "no descriptor for \(question.messageRequest.map { "\($0)" } ?? "?")")
                // Self-contained: every import of every file handed out is handed out too.
                let given = Set(files.map(\.name))
                #expect(files.allSatisfy { Set($0.dependency).isSubset(of: given) })
            }
            let requirementFile = try answers[names.count].fileDescriptorResponse.fileDescriptorProto.map { try Google_Protobuf_FileDescriptorProto(serializedBytes: $0) }
            let declared = requirementFile.first { $0.name == "conform/requirement/v1/requirement.proto" }
            #expect(declared?.service.contains { $0.name == "RequirementService" && $0.method.contains { $0.name == "CreateCustomer" } } == true)
            for answer in answers.suffix(2) {
                #expect(answer.errorResponse.errorCode == Int32(Status.Code.notFound.rawValue))
                #expect(!answer.errorResponse.errorMessage.isEmpty)
            }
        }
    }

    @Test("older tools asking grpc.reflection.v1alpha get the same answers")
    func v1alpha() async throws {
        try await withRequirementService(suite: "reflectalpha") { service in
            let names = try await service.withHTTP2Client(as: "operator") { client in
                try await Grpc_Reflection_V1alpha_ServerReflection.Client(wrapping: client).serverReflectionInfo(
                    requestProducer: { writer in try await writer.write(.with { $0.listServices = "" }) }
                ) { response in
                    var names: [String] = []
                    for try await answer in response.messages { names += answer.listServicesResponse.service.map(\.name) }
                    return names
                }
            }
            #expect(names.contains("conform.requirement.v1.RequirementService"))
        }
    }
}

import ArgumentParser
import ConformProtos
import ConformWire
import Crypto
import Foundation
import GRPCCore

typealias EvidenceServiceClient = Conform_Evidence_V1_EvidenceService.Client

struct SignatoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signatory",
        abstract: "People who sign records: their signing keys, roles and certifications.",
        subcommands: [Keygen.self, Add.self, Grant.self, Get.self, List.self]
    )

    /// Runs `body` with an evidence service client, as the CLI's principal.
    static func call<Result: Sendable>(
        _ connection: ConnectionOptions,
        _ body: (EvidenceServiceClient<ConformWireClientTransport>) async throws -> Result
    ) async throws -> Result {
        try await connection.withClient(.evidence) { client in try await body(EvidenceServiceClient(wrapping: client)) }
    }

    /// The signatory the CLI acts as.
    static func me(_ connection: ConnectionOptions) async throws -> Conform_Evidence_V1_Signatory {
        try await Self.call(connection) { client in
            try await client.getSignatory(.with { $0.principal = connection.principalName }, metadata: connection.metadata(), options: connection.callOptions())
        }
    }

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make your own signing key (P-256) in the TLS folder and print its public half for registration.",
            discussion: "The private key stays in <tls-dir>/<principal>-signing-key.pem (mode 600). Give the printed public key to a quality manager: 'conform signatory add'."
        )
        @Flag(help: "Replace an existing key (signatures made with the old one stay verifiable only with the old public key).") var force = false
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let path = SigningKeyFile.path(folder: self.connection.tlsFolder, principal: self.connection.principalName)
            if FileManager.default.fileExists(atPath: path), !self.force {
                throw CLIError("\(path) exists already; pass --force to replace it")
            }
            let key = P256.Signing.PrivateKey()
            guard FileManager.default.createFile(atPath: path, contents: Data(key.pemRepresentation.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CLIError("cannot write \(path)")
            }
            let publicPath = path.replacingOccurrences(of: "-signing-key.pem", with: "-signing-public.pem")
            try key.publicKey.pemRepresentation.write(toFile: publicPath, atomically: true, encoding: .utf8)
            if self.connection.json {
                let object = ["private_key_file": path, "public_key_file": publicPath, "public_key_pem": key.publicKey.pemRepresentation]
                print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
                return
            }
            print("Signing key for \(self.connection.principalName): \(path)\nPublic half (register it with 'conform signatory add --key \(publicPath)'):\n\(key.publicKey.pemRepresentation)")
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a person who signs, with the public half of their signing key (quality managers only).",
            discussion: "Example: conform signatory add inspector --name 'Kim Lee' --key .conform/tls/inspector-signing-public.pem --as quality-manager"
        )
        @Argument(help: "The principal they act as (their certificate's name).") var principal: String
        @Option(help: "Their printed name, shown with every signature.") var name: String
        @Option(help: "A PEM file with their public signing key.") var key: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            guard let pem = try? String(contentsOfFile: self.key, encoding: .utf8) else { throw CLIError("cannot read \(self.key)") }
            let signatory = try await SignatoryCommand.call(self.connection) { client in
                try await client.registerSignatory(
                    .with { $0.principal = self.principal; $0.printedName = self.name; $0.publicKeyPem = pem },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([signatory], asList: false) }
            print("Registered \(signatory.principal) (\(signatory.printedName)), key \(signatory.keyFingerprint.prefix(16))…")
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a role or certification a signatory holds, for a period (quality managers only).",
            discussion: "Example: conform signatory grant inspector --certification certified-quality-inspector --from 2024-06-01 --to 2027-05-31 --reference CQI-2291"
        )
        @Argument(help: "The signatory's principal.") var principal: String
        @Option(help: "A role, e.g. inspector.") var role: String?
        @Option(help: "A certification, e.g. ndt-level-2.") var certification: String?
        @Option(help: "First day it holds, YYYY-MM-DD.") var from: String
        @Option(help: "Last day it holds, YYYY-MM-DD (none: no end).") var to: String = ""
        @Option(help: "e.g. the certificate's number.") var reference: String = ""
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            guard (self.role == nil) != (self.certification == nil) else { throw CLIError("give either --role or --certification") }
            let signatory = try await SignatoryCommand.call(self.connection) { client in
                try await client.grantQualification(
                    .with {
                        $0.principal = self.principal
                        $0.qualification = .with {
                            $0.kind = self.role != nil ? .role : .certification
                            $0.name = self.role ?? self.certification ?? ""
                            $0.validFrom = self.from; $0.validTo = self.to; $0.reference = self.reference
                        }
                    },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([signatory], asList: false) }
            print(SignatoryCommand.describe(signatory))
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a signatory and what they hold.")
        @Argument(help: "The signatory's principal.") var principal: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let signatory = try await SignatoryCommand.call(self.connection) { client in
                try await client.getSignatory(.with { $0.principal = self.principal }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            if self.connection.json { return try printJSON([signatory], asList: false) }
            print(SignatoryCommand.describe(signatory))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List signatories.")
        @OptionGroup var paging: PageOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (signatories, token) = try await self.paging.collect { size, token in
                let page = try await SignatoryCommand.call(self.connection) { client in
                    try await client.listSignatories(.with { $0.pageSize = size; $0.pageToken = token }, metadata: self.connection.metadata(), options: self.connection.callOptions())
                }
                return (page.signatories, page.nextPageToken)
            }
            if self.connection.json { return try printJSON(signatories, asList: true) }
            var table = Table("PRINCIPAL", "PRINTED NAME", "KEY", "QUALIFICATIONS")
            for signatory in signatories {
                table.add(signatory.principal, signatory.printedName, String(signatory.keyFingerprint.prefix(16)), signatory.qualifications.map(\.name).joined(separator: ", "))
            }
            print(table.render())
            PageOptions.printMore(token)
        }
    }

    static func describe(_ signatory: Conform_Evidence_V1_Signatory) -> String {
        var table = Table("KIND", "NAME", "FROM", "TO", "REFERENCE", "GRANTED BY")
        for qualification in signatory.qualifications {
            table.add(qualification.kind == .role ? "role" : "certification", qualification.name, qualification.validFrom,
                      qualification.validTo.isEmpty ? "-" : qualification.validTo, qualification.reference, qualification.grantedBy)
        }
        return "\(signatory.principal) (\(signatory.printedName)), key \(signatory.keyFingerprint.prefix(16))…\n" + table.render()
    }
}

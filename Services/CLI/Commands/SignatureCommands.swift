import ArgumentParser
import ConformDomain
import ConformProtos
import Crypto
import Foundation
import GRPCCore

struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a batch record or an evidence item with your own signing key (21 CFR Part 11).",
        discussion: """
            Examples: conform sign batch D-2025-0007 --meaning approved --as inspector
                      conform sign evidence 12 --meaning approved
            What is signed is the record's digest now; a later change to the record shows on verification.
            """,
        subcommands: [Batch.self, Evidence.self]
    )

    struct Batch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a batch record.")
        @Argument(help: "The batch number.") var number: String
        @Option(help: "authored, reviewed, approved or responsible.") var meaning: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let batch = try await BatchCommand.call(self.connection) { client in
                try await client.getBatch(.with { $0.number = self.number }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            try await SignCommand.sign(target: "batch:\(batch.number)", digest: batch.recordDigest, meaning: try .option(self.meaning), connection: self.connection)
        }
    }

    struct Evidence: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign an evidence item (its content).")
        @Argument(help: "The item's id.") var id: UInt64
        @Option(help: "authored, reviewed, approved or responsible.") var meaning: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let item = try await SignatoryCommand.call(self.connection) { client in
                try await client.getItem(.with { $0.id = self.id }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            try await SignCommand.sign(target: "evidence:\(item.id)", digest: "sha256:\(item.sha256)", meaning: try .option(self.meaning), connection: self.connection)
        }
    }

    static func sign(target: String, digest: String, meaning: SignatureMeaning, connection: ConnectionOptions) async throws {
        let key = try SigningKeyFile(connection: connection)
        let signatory = try await SignatoryCommand.me(connection)
        let (manifest, signature) = try key.sign(target: target, digest: digest, meaning: meaning, signatory: signatory)
        let signed = try await SignatoryCommand.call(connection) { client in
            try await client.sign(.with { $0.manifest = manifest; $0.signature = signature }, metadata: connection.metadata(), options: connection.callOptions())
        }
        if connection.json { return try printJSON([signed], asList: false) }
        print("Signed \(target) (\(meaning.rawValue)) as \(signed.printedName) at \(formatMicros(signed.signedAtMicros)): signature \(signed.id)")
    }
}

struct SignatureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signature",
        abstract: "Signatures on a record: list, verify, export for checking without Conform.",
        subcommands: [List.self, Verify.self, Export.self, Check.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The signatures on a record, with printed name, time and meaning.")
        @Argument(help: "batch:NUMBER, evidence:ID or lot:LOT.") var target: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            // A record's signatures are shown whole, every page of them.
            let (signatures, _) = try await collectPages(after: "", all: true) { token in
                let page = try await SignatoryCommand.call(self.connection) { client in
                    try await client.listSignatures(
                        .with { $0.target = self.target; $0.pageSize = 500; $0.pageToken = token },
                        metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                }
                return (page.signatures, page.nextPageToken)
            }
            if self.connection.json { return try printJSON(signatures, asList: true) }
            var table = Table("ID", "MEANING", "PRINTED NAME", "SIGNER", "SIGNED AT (UTC)", "ROLES", "CERTIFICATIONS")
            for signature in signatures {
                table.add("\(signature.id)", signature.meaning.label, signature.printedName, signature.signer, formatMicros(signature.signedAtMicros),
                          signature.rolesHeld.joined(separator: ","), signature.certificationsHeld.joined(separator: ","))
            }
            print(table.render())
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recheck every signature on a record against its signer's key and the record as it is now.")
        @Argument(help: "batch:NUMBER, evidence:ID or lot:LOT.") var target: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let result = try await SignatoryCommand.call(self.connection) { client in
                try await client.verifySignatures(.with { $0.target = self.target }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            if self.connection.json { return try printJSON([result], asList: false) }
            for check in result.checks {
                print("signature \(check.signatureID): " + (check.valid ? (check.note.isEmpty ? "valid" : "valid, \(check.note)") : "INVALID: \(check.problem)"))
            }
            if result.checks.isEmpty { print("\(result.target) has no signatures.") }
            if result.checks.contains(where: { !$0.valid }) { throw ExitCode(3) }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a signature's manifest, signature and signer's public key to a folder, to verify without Conform.",
            discussion: "Then: openssl dgst -sha256 -verify DIR/signer.pem -signature DIR/signature.der DIR/manifest.txt (or 'conform signature check DIR')."
        )
        @Argument(help: "The signature's id.") var id: UInt64
        @Option(help: "The folder to write.") var dir: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let export = try await SignatoryCommand.call(self.connection) { client in
                try await client.exportSignature(.with { $0.id = self.id }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            try FileManager.default.createDirectory(atPath: self.dir, withIntermediateDirectories: true)
            try Data(export.signature.manifest.utf8).write(to: URL(fileURLWithPath: self.dir).appendingPathComponent("manifest.txt"))
            try export.signature.signature.write(to: URL(fileURLWithPath: self.dir).appendingPathComponent("signature.der"))
            try export.publicKeyPem.write(toFile: (self.dir as NSString).appendingPathComponent("signer.pem"), atomically: true, encoding: .utf8)
            try "\(export.currentDigest)\n".write(toFile: (self.dir as NSString).appendingPathComponent("record-digest-now.txt"), atomically: true, encoding: .utf8)
            if self.connection.json { return try printJSON([export], asList: false) }
            print("Wrote manifest.txt, signature.der, signer.pem and record-digest-now.txt to \(self.dir).")
            print("Verify: openssl dgst -sha256 -verify \(self.dir)/signer.pem -signature \(self.dir)/signature.der \(self.dir)/manifest.txt")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verify an exported signature offline: no service is asked.")
        @Argument(help: "The folder 'conform signature export' wrote.") var dir: String

        func run() async throws {
            func read(_ name: String) throws -> Data {
                guard let data = FileManager.default.contents(atPath: (self.dir as NSString).appendingPathComponent(name)) else {
                    throw CLIError("cannot read \(name) in \(self.dir)")
                }
                return data
            }
            let manifestData = try read("manifest.txt")
            let key = try P256.Signing.PublicKey(pemRepresentation: String(decoding: try read("signer.pem"), as: UTF8.self))
            let signature = try P256.Signing.ECDSASignature(derRepresentation: try read("signature.der"))
            let manifest = try SignatureManifest.parse(String(decoding: manifestData, as: UTF8.self))
            guard key.isValidSignature(signature, for: manifestData) else {
                throw CLIError("INVALID: the signature does not match the manifest with this key")
            }
            print("valid: \(manifest.printedName) (\(manifest.signer)) signed \(manifest.target) (\(manifest.meaning.rawValue)) at \(SignatureManifest.timestamp(manifest.signedAtMicros))")
            if let now = FileManager.default.contents(atPath: (self.dir as NSString).appendingPathComponent("record-digest-now.txt")) {
                let digest = String(decoding: now, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                print(digest == manifest.digest ? "the record is unchanged since it was signed" : "the record CHANGED after it was signed: signed \(manifest.digest), now \(digest)")
            }
        }
    }
}

extension Conform_Evidence_V1_SignatureMeaning {
    var label: String {
        switch self {
        case .authored: return "authored"
        case .reviewed: return "reviewed"
        case .approved: return "approved"
        case .responsible: return "responsible"
        case .amended: return "amended"
        case .unspecified, .UNRECOGNIZED: return "?"
        }
    }
}

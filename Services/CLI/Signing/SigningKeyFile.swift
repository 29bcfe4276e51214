import ConformDomain
import ConformProtos
import Crypto
import Foundation

/// A signer's own P-256 key in the TLS folder, `<principal>-signing-key.pem`: what proves a
/// signature is theirs (21 CFR 11.200). It never leaves the signer's machine.
struct SigningKeyFile {
    let path: String
    let key: P256.Signing.PrivateKey

    static func path(folder: String, principal: String) -> String {
        (folder as NSString).appendingPathComponent("\(principal)-signing-key.pem")
    }

    /// Reads the key of the principal the CLI acts as.
    init(connection: ConnectionOptions) throws {
        let path = Self.path(folder: connection.tlsFolder, principal: connection.principalName)
        guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CLIError(
                "no signing key at \(path). Make one with 'conform signatory keygen --as \(connection.principalName)' and have a quality manager register its public half ('conform signatory add')"
            )
        }
        guard let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) else {
            throw CLIError("\(path) is not a P-256 private key in PEM")
        }
        self.path = path
        self.key = key
    }

    /// The manifest for `target` at `digest`, signed now by `signatory`.
    func sign(target: String, digest: String, meaning: SignatureMeaning, signatory: Conform_Evidence_V1_Signatory) throws -> (manifest: String, signature: Data) {
        let manifest = SignatureManifest(
            target: target, digest: digest, meaning: meaning, signer: signatory.principal, printedName: signatory.printedName,
            signedAtMicros: Int64(Date().timeIntervalSince1970 * 1_000_000)
        )
        return (manifest.text, try self.key.signature(for: Data(manifest.text.utf8)).derRepresentation)
    }
}

extension SignatureMeaning {
    /// Parses --meaning.
    static func option(_ text: String) throws -> SignatureMeaning {
        guard let meaning = SignatureMeaning(rawValue: text.lowercased()) else {
            throw CLIError("--meaning must be authored, reviewed, approved, responsible or amended")
        }
        return meaning
    }
}

/// NAME=VALUE options, e.g. --field tensile-strength=1040MPa.
func pairs(_ values: [String], option: String) throws -> [String: String] {
    var result: [String: String] = [:]
    for value in values {
        guard let equals = value.firstIndex(of: "="), equals != value.startIndex else {
            throw CLIError("\(option) '\(value)' must be NAME=VALUE")
        }
        result[String(value[..<equals])] = String(value[value.index(after: equals)...])
    }
    return result
}

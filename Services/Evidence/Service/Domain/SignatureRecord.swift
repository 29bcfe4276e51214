public import ConformDomain
import Crypto
public import Foundation

/// A recorded electronic signature: the manifest signed, the signature over it, and what the
/// signer held on the signing date.
public struct SignatureRecord: Sendable, Equatable {
    public var id: Int64
    /// The record it is filed under; the manifest says which record it was made for.
    public var target: String
    public var manifest: SignatureManifest
    /// ECDSA P-256 over SHA-256 of the manifest's text, DER.
    public var signature: Data
    public var keyFingerprint: String
    public var rolesHeld: [String]
    public var certificationsHeld: [String]

    public init(id: Int64, target: String, manifest: SignatureManifest, signature: Data, keyFingerprint: String, rolesHeld: [String], certificationsHeld: [String]) {
        self.id = id
        self.target = target
        self.manifest = manifest
        self.signature = signature
        self.keyFingerprint = keyFingerprint
        self.rolesHeld = rolesHeld
        self.certificationsHeld = certificationsHeld
    }
}

extension SignatureProof {
    /// What is wrong with a recorded signature now, or nil when it holds: made by the key,
    /// for this record, and the record unchanged since.
    public static func problem(with record: SignatureRecord, currentDigest: String, publicKeyPEM: String) -> String? {
        guard let (key, fingerprint) = try? Self.publicKey(publicKeyPEM), fingerprint == record.keyFingerprint else {
            return "the signer's registered key is not the key it was made with"
        }
        guard Self.isValid(record.signature, over: record.manifest, by: key) else {
            return "the signature does not match its manifest: the manifest or signature was altered"
        }
        guard record.manifest.target == record.target else {
            return "it was made for \(record.manifest.target), not \(record.target): it has been moved to another record"
        }
        guard record.manifest.digest == currentDigest else {
            return "the record changed after it was signed (signed \(record.manifest.digest), now \(currentDigest))"
        }
        return nil
    }
}

public import Crypto
public import Foundation

/// Proof that a signer is who they say: their own key signed the manifest.
public enum SignatureProof {
    /// The public key in `pem` and its fingerprint (hex SHA-256 of its DER form).
    public static func publicKey(_ pem: String) throws -> (key: P256.Signing.PublicKey, fingerprint: String) {
        guard let key = try? P256.Signing.PublicKey(pemRepresentation: pem) else {
            throw DomainError.invalid(
                field: "public_key_pem",
                reason: "is not a P-256 public key in PEM (-----BEGIN PUBLIC KEY-----): send the public half of the signer's own key pair"
            )
        }
        let fingerprint = Hex.lowercase(SHA256.hash(data: key.derRepresentation))
        return (key, fingerprint)
    }

    /// Whether `signature` (DER) over `manifest`'s text was made by the private half of `key`.
    public static func isValid(_ signature: Data, over manifest: SignatureManifest, by key: P256.Signing.PublicKey) -> Bool {
        guard let ecdsa = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
        return key.isValidSignature(ecdsa, for: Data(manifest.text.utf8))
    }

    /// How far a signature's time may be from the service's clock.
    public static let allowedClockSkewMicros: Int64 = 5 * 60 * 1_000_000

    /// Refuses a signature made too long ago or in the future: a signer proves it is them at
    /// each signing, so an old signed manifest cannot be replayed later.
    public static func checkFresh(_ manifest: SignatureManifest, nowMicros: Int64) throws {
        guard abs(nowMicros - manifest.signedAtMicros) <= Self.allowedClockSkewMicros else {
            throw DomainError.failedPrecondition(
                "the signature was made at \(SignatureManifest.timestamp(manifest.signedAtMicros)), more than 5 minutes from the service's time \(SignatureManifest.timestamp(nowMicros)); sign again now (and check the clock)"
            )
        }
    }
}

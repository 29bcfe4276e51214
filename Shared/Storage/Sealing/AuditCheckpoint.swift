/// The chain's head at one moment, signed with the service's key: the promise a database
/// superuser cannot forge. Rewriting the chain below a checkpoint changes the hash at its
/// size, which the signature no longer covers.
public struct AuditCheckpoint: Sendable, Equatable {
    /// The chain's length at the checkpoint: it covers entries 1 to `size`.
    public var size: Int64
    public var headHash: String
    public var signedAtMicros: Int64
    /// The certificate whose key signed it (PEM).
    public var certificatePEM: String
    public var signature: [UInt8]

    public init(size: Int64, headHash: String, signedAtMicros: Int64, certificatePEM: String, signature: [UInt8]) {
        self.size = size
        self.headHash = headHash
        self.signedAtMicros = signedAtMicros
        self.certificatePEM = certificatePEM
        self.signature = signature
    }

    /// The bytes that are signed (docs/SECURITY.md): four lines after a version line.
    public static func statement(schema: String, size: Int64, headHash: String, signedAtMicros: Int64) -> [UInt8] {
        Array("conform-audit-checkpoint/1\n\(schema)\n\(size)\n\(headHash)\n\(signedAtMicros)\n".utf8)
    }

    /// A new checkpoint of `headHash` at `size`, signed now.
    static func signed(schema: String, size: Int64, headHash: String, by signer: any CheckpointSigning) throws -> AuditCheckpoint {
        let now = Timestamps.nowMicros()
        let signature = try signer.sign(Self.statement(schema: schema, size: size, headHash: headHash, signedAtMicros: now))
        return AuditCheckpoint(size: size, headHash: headHash, signedAtMicros: now, certificatePEM: signer.certificatePEM, signature: signature)
    }
}

/// Signs checkpoints with the service's own key (the one its TLS certificate names).
public protocol CheckpointSigning: Sendable {
    /// The certificate a verifier checks the signature with.
    var certificatePEM: String { get }
    /// A signature over `statement`.
    func sign(_ statement: [UInt8]) throws -> [UInt8]
}

/// Checks a checkpoint's signature, and that its certificate is one the deployment trusts
/// to sign for this service.
public protocol CheckpointChecking: Sendable {
    /// Nil when the signature holds; otherwise why it does not.
    func problem(with checkpoint: AuditCheckpoint, statement: [UInt8]) -> String?
}

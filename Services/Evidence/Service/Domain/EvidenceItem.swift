import ConformDomain

/// What an item of evidence is.
public enum EvidenceKind: String, Sendable, CaseIterable {
    /// A document of a type, e.g. a certificate of analysis.
    case document
    /// A photo of a kind, e.g. an NDT photo.
    case photo
}

/// What an uploader says about an item before its content arrives.
public struct ItemDescription: Sendable, Equatable {
    public var batch: String
    public var kind: EvidenceKind
    /// The document type or photo kind, e.g. "certificate-of-analysis", "ndt".
    public var type: String
    public var mediaType: String
    public var fileName: String
    public var metadata: [String: String]
    /// The item this one corrects, and why.
    public var supersedes: Int64?
    public var correctionReason: String

    public init(
        batch: String, kind: EvidenceKind, type: String, mediaType: String, fileName: String,
        metadata: [String: String], supersedes: Int64?, correctionReason: String
    ) {
        self.batch = batch
        self.kind = kind
        self.type = type
        self.mediaType = mediaType
        self.fileName = fileName
        self.metadata = metadata
        self.supersedes = supersedes
        self.correctionReason = correctionReason
    }
}

/// An item of evidence as stored: never changed; a correction is a new item superseding it.
public struct EvidenceItem: Sendable, Equatable {
    public var id: Int64
    public var description: ItemDescription
    /// Hex SHA-256 of the content.
    public var sha256: String
    public var size: Int64
    /// The requirement versions it satisfied by itself when uploaded, e.g. "A/CSR-AUTO-0847 v1.0".
    public var satisfies: [String]
    /// The requirement versions whose rules are about this kind of item.
    public var concerns: [String]
    public var uploadedBy: String
    public var uploadedAtMicros: Int64
    /// Certifications the uploader held on the upload date.
    public var uploaderCertifications: [String]
    /// The item that corrected this one, if any.
    public var supersededBy: Int64?

    public init(
        id: Int64, description: ItemDescription, sha256: String, size: Int64, satisfies: [String], concerns: [String], uploadedBy: String,
        uploadedAtMicros: Int64, uploaderCertifications: [String], supersededBy: Int64?
    ) {
        self.id = id
        self.description = description
        self.sha256 = sha256
        self.size = size
        self.satisfies = satisfies
        self.concerns = concerns
        self.uploadedBy = uploadedBy
        self.uploadedAtMicros = uploadedAtMicros
        self.uploaderCertifications = uploaderCertifications
        self.supersededBy = supersededBy
    }

    /// What a signature on this item binds: its content.
    public var digest: String { "sha256:\(self.sha256)" }
}

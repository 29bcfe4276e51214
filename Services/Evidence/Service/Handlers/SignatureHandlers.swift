import ConformDomain
import ConformProtos
import ConformSecurity
import ConformService
import ConformStorage
import Foundation
import GRPCCore

/// The wire side of electronic signatures (21 CFR Part 11 11.50, 11.70, 11.200).
extension EvidenceHandlers {
    func sign(request: Conform_Evidence_V1_SignRequest, context: ServerContext) async throws -> Conform_Evidence_V1_Signature {
        let call = try CallContext.required()
        // A required role replaces the requirements' own demands on who signs: only the batch
        // service, which checked the release, may ask for it.
        if !request.requiredRole.isEmpty, !call.principal.roles.contains(.service) {
            throw DomainError.permissionDenied(
                "required_role is set only by a Conform service (the batch service, when it releases); leave it empty and the batch's requirements decide who may sign"
            )
        }
        let manifest = try SignatureManifest.parse(request.manifest)
        call.audit.about(manifest.target)
        // Signatures are kept and found by their target's text: one spelled otherwise would be
        // stored but never found by verification, the release basis or compliance.
        _ = try SignatureTarget.canonical(manifest.target, field: "manifest.target")
        // People sign as themselves; the batch service passes on a signature its caller made.
        if !call.principal.roles.contains(.service), manifest.signer != call.principal.name {
            throw DomainError.notEligible("the manifest names signer \(manifest.signer), but you are \(call.principal.name); sign as yourself")
        }
        // The same signed manifest again is the same signature, answered ahead of every other
        // check (a retry, perhaps after the manifest's freshness has passed). A release's is its
        // release's only once it sealed the batch: the same bytes signed directly before still
        // need the release's basis checked and its seal.
        if let recorded = try await SignatureStore.find(manifest: manifest, signature: request.signature, in: self.database, logger: call.logger) {
            let isRelease = requiredRoleOf(request) != nil && manifest.target.hasPrefix("batch:")
            if !isRelease { return recorded.message }
            if try await ReleaseSealStore.sealed(by: recorded.id, in: self.database, logger: call.logger) { return recorded.message }
        }
        try SignatureProof.checkFresh(manifest, nowMicros: Timestamps.nowMicros())
        guard let signatory = try await SignatoryStore.find(manifest.signer, in: self.database, logger: call.logger) else {
            throw DomainError.notFound("\(manifest.signer) is not a registered signatory; a quality manager registers them with RegisterSignatory")
        }
        guard manifest.printedName == signatory.printedName else {
            throw DomainError.invalid(field: "manifest", reason: "printed-name is '\(manifest.printedName)', but \(signatory.principal) is registered as '\(signatory.printedName)'")
        }
        let (key, fingerprint) = try SignatureProof.publicKey(signatory.publicKeyPEM)
        guard SignatureProof.isValid(request.signature, over: manifest, by: key) else {
            throw DomainError.notEligible(
                "the signature was not made with \(signatory.principal)'s registered signing key, so it does not prove who signed; sign with your own key"
            )
        }
        let record = try await self.record(manifest.target)
        guard let checklist = record.checklist else {
            // A lot's exception is approved through the supplier service, which checks the
            // request and passes the quality manager's signature on with the role it needs.
            guard requiredRoleOf(request) != nil else {
                throw DomainError.invalid(field: "manifest", reason: "a lot's exception is approved with the supplier service's ApproveException, which has it signed here")
            }
            return try await self.signReceipt(request, manifest: manifest, digest: record.digest, signatory: signatory, fingerprint: fingerprint)
        }
        guard manifest.digest == record.digest else {
            throw DomainError.failedPrecondition(
                "the signed digest \(manifest.digest) is not \(manifest.target)'s current digest \(record.digest): it was signed for other content or the record changed since; read it again and sign what it is now"
            )
        }
        // A completed record takes signatures again only once amended: the quality manager's
        // approval of the amendment, and those its rules reserve, on the record as amended.
        let amending = checklist.isAmended && manifest.target == "batch:\(checklist.batch)"
        guard checklist.isOpen || amending else {
            throw DomainError.failedPrecondition(
                "batch \(checklist.batch) is complete and its record is read-only; it takes no more signatures until it is amended (Amend)"
            )
        }
        if amending, requiredRoleOf(request) != nil {
            throw DomainError.invalid(field: "required_role", reason: "is for a release; batch \(checklist.batch) is complete and amended")
        }
        if manifest.meaning == .amended, !amending {
            throw DomainError.invalid(
                field: "manifest", reason: "meaning amended approves an amendment of a completed batch record; \(manifest.target) has none awaiting it"
            )
        }
        let requiredRole = manifest.meaning == .amended ? SigningRules.amendmentApprover : requiredRoleOf(request)
        try SigningRules.checkEligible(
            signatory, manifest: manifest, checklist: checklist, documentType: record.documentType, requiredRole: requiredRole,
            reservedOnly: amending && manifest.meaning != .amended
        )
        // A release signature seals the batch, and only on the evidence its decision saw.
        let release = requiredRoleOf(request) == nil ? nil : try Self.releaseBasis(request.releaseBasis, target: manifest.target)
        let batch = checklist.batch
        let day = manifest.signingDay
        return try await self.writes.write(request) { transaction in
            let (connection, logger) = (transaction.connection, transaction.logger)
            try await ReleaseSealStore.lock(batch: batch, on: connection, logger: logger)
            // An amended record's signatures come after its seal by design.
            if !amending, let sealedBy = try await ReleaseSealStore.seal(of: batch, on: connection, logger: logger) {
                // Sealed by this very release, by a driver that got here first: its signature is the answer.
                if release != nil, let same = try await SignatureStore.find(manifest: manifest, signature: request.signature, on: connection, logger: logger),
                   same.id == sealedBy {
                    return same.message
                }
                throw ReleaseSealStore.sealed(batch, by: sealedBy)
            }
            if let release {
                let now = try await ReleaseSealStore.basis(batch: batch, on: connection, logger: logger)
                guard now == release else {
                    throw DomainError.failedPrecondition(
                        "batch \(batch)'s evidence changed after the release was decided (an item added, superseded or signed); evaluate it again and release again"
                    )
                }
            }
            let (stored, isNew) = try await SignatureStore.insert(
                manifest, signature: request.signature, keyFingerprint: fingerprint,
                rolesHeld: signatory.roles(on: day), certificationsHeld: signatory.certifications(on: day),
                on: connection, logger: logger
            )
            let message = stored.message
            if isNew {
                try await transaction.recordCreation(of: message, object: "signature:\(stored.id)", event: "signature.applied")
            }
            if let release {
                try await ReleaseSealStore.insert(batch: batch, signature: stored.id, recordDigest: manifest.digest, basis: release, on: connection, logger: logger)
            }
            return message
        }
    }

    /// An exception's approval on a lot's receipt: the signer must hold the role the supplier
    /// service names, on the signing day, and sign the receipt as it is now.
    private func signReceipt(
        _ request: Conform_Evidence_V1_SignRequest, manifest: SignatureManifest, digest: String, signatory: Signatory, fingerprint: String
    ) async throws -> Conform_Evidence_V1_Signature {
        guard manifest.digest == digest else {
            throw DomainError.failedPrecondition(
                "the signed digest \(manifest.digest) is not \(manifest.target)'s current digest \(digest): the receipt changed since; read it again and sign what it is now"
            )
        }
        try SigningRules.checkEligible(signatory, manifest: manifest, checklist: nil, documentType: nil, requiredRole: requiredRoleOf(request))
        let day = manifest.signingDay
        return try await self.writes.write(request) { transaction in
            let (stored, isNew) = try await SignatureStore.insert(
                manifest, signature: request.signature, keyFingerprint: fingerprint,
                rolesHeld: signatory.roles(on: day), certificationsHeld: signatory.certifications(on: day),
                on: transaction.connection, logger: transaction.logger
            )
            if isNew {
                try await transaction.recordCreation(of: stored.message, object: "signature:\(stored.id)", event: "signature.applied")
            }
            return stored.message
        }
    }

    /// The release basis a release signature must carry, on a batch record.
    private static func releaseBasis(_ basis: String, target: String) throws -> String {
        guard target.hasPrefix("batch:") else {
            throw DomainError.invalid(field: "manifest", reason: "a release signature is on a batch record (target batch:NUMBER), not \(target)")
        }
        guard basis.hasPrefix("sha256:"), basis.count == 71 else {
            throw DomainError.invalid(field: "release_basis", reason: "is required with required_role: the fingerprint of the evidence the release decision saw")
        }
        return basis
    }

    func listSignatures(
        request: Conform_Evidence_V1_ListSignaturesRequest,
        context: ServerContext
    ) async throws -> Conform_Evidence_V1_ListSignaturesResponse {
        let call = try CallContext.required()
        let target = try SignatureTarget(request.target)
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListSignatures|\(target.text)", keys: [.integer])
        let rows = try await SignatureStore.list(
            targets: [target.text], after: try page.after(0).map { try EvidenceHandlers.itemID($0) }, limit: page.readLimit,
            in: self.database, logger: call.logger
        )
        let (records, next) = page.finish(rows) { [String($0.id)] }
        return .with {
            $0.signatures = records.map(\.message)
            $0.nextPageToken = next
        }
    }

    func exportSignature(
        request: Conform_Evidence_V1_ExportSignatureRequest,
        context: ServerContext
    ) async throws -> Conform_Evidence_V1_SignatureExport {
        let call = try CallContext.required()
        guard request.id > 0, let record = try await SignatureStore.find(Int64(request.id), in: self.database, logger: call.logger) else {
            throw DomainError.notFound("no signature \(request.id)")
        }
        guard let signatory = try await SignatoryStore.find(record.manifest.signer, in: self.database, logger: call.logger) else {
            throw DatabaseError(.failed, "signature \(record.id) names an unknown signer")
        }
        let current = try await self.record(record.target).digest
        return .with {
            $0.signature = record.message
            $0.publicKeyPem = signatory.publicKeyPEM
            $0.currentDigest = current
        }
    }

    func verifySignatures(
        request: Conform_Evidence_V1_VerifySignaturesRequest,
        context: ServerContext
    ) async throws -> Conform_Evidence_V1_VerifySignaturesResponse {
        let call = try CallContext.required()
        let target = try SignatureTarget(request.target)
        let record = try await self.record(target.text)
        let current = record.digest
        let records = try await SignatureStore.list(targets: [target.text], in: self.database, logger: call.logger)
        let checks = try await self.checks(records, digests: [target.text: current], earlier: [target.text: record.checklist?.earlierDigests ?? []])
        return .with {
            $0.target = target.text
            $0.currentDigest = current
            $0.checks = checks
        }
    }

    func batchEvidence(
        request: Conform_Evidence_V1_BatchEvidenceRequest,
        context: ServerContext
    ) async throws -> Conform_Evidence_V1_BatchEvidenceResponse {
        let call = try CallContext.required()
        let batch = try FieldRules.code(request.batch, field: "batch", maxLength: 64)
        let items = try await ItemStore.list(batch: batch, includeSuperseded: false, in: self.database, logger: call.logger)
        var digests = ["batch:\(batch)": request.recordDigest]
        for item in items { digests["evidence:\(item.id)"] = item.digest }
        let records = try await SignatureStore.list(targets: Array(digests.keys), in: self.database, logger: call.logger)
        let checks = try await self.checks(records, digests: digests, earlier: ["batch:\(batch)": request.earlierDigests])
        return .with {
            $0.items = items.map(\.message)
            $0.signatures = records.map(\.message)
            $0.checks = checks
        }
    }

    /// Each signature checked against its signer's key and its record's digest now. On an
    /// amended record (`earlier`: its digests before each amendment) a signature of an earlier
    /// revision stays valid for that revision, and says which.
    private func checks(
        _ records: [SignatureRecord], digests: [String: String], earlier: [String: [String]] = [:]
    ) async throws -> [Conform_Evidence_V1_SignatureCheck] {
        let call = try CallContext.required()
        let keys = try await SignatoryStore.publicKeys(of: Array(Set(records.map(\.manifest.signer))), in: self.database, logger: call.logger)
        return records.map { record in
            let key = keys[record.manifest.signer] ?? ""
            var problem = SignatureProof.problem(with: record, currentDigest: digests[record.target] ?? "", publicKeyPEM: key)
            var note = ""
            if problem != nil, let revision = RecordRevisions.describe(record.manifest.digest, earlier: earlier[record.target] ?? []),
               SignatureProof.problem(with: record, currentDigest: record.manifest.digest, publicKeyPEM: key) == nil {
                problem = nil
                note = revision
            }
            return .with {
                $0.signatureID = UInt64(record.id)
                $0.valid = problem == nil
                $0.problem = problem ?? ""
                $0.note = note
            }
        }
    }

    /// A record that can be signed: its digest now; for a batch record or an item, its batch's
    /// checklist, and for a document the document's type.
    private func record(_ text: String) async throws -> SignedRecord {
        switch try SignatureTarget(text) {
        case .batch(let number):
            let checklist = try await self.checklist(of: number)
            return SignedRecord(digest: checklist.recordDigest, checklist: checklist, documentType: nil)
        case .evidence(let id):
            let item = try await self.item(UInt64(id))
            let checklist = try await self.checklist(of: item.description.batch)
            return SignedRecord(digest: item.digest, checklist: checklist, documentType: item.description.kind == .document ? item.description.type : nil)
        case .lot(let lot):
            // A lot's receipt, with its exception request, is the supplier service's record.
            let receipt = try await self.peers.call(.supplier) { client, metadata, options in
                try await Conform_Supplier_V1_SupplierService.Client(wrapping: client).getReceiptDigest(
                    .with { $0.lot = lot }, metadata: metadata, options: options
                )
            }
            return SignedRecord(digest: receipt.digest, checklist: nil, documentType: nil)
        }
    }
}

/// What is signed, as the signing rules see it.
struct SignedRecord {
    var digest: String
    /// The batch's checklist (nil for a lot's receipt).
    var checklist: Checklist?
    var documentType: String?
}

/// The role a Conform service asks of the signer (nil: the records' own rules decide).
private func requiredRoleOf(_ request: Conform_Evidence_V1_SignRequest) -> String? {
    request.requiredRole.isEmpty ? nil : request.requiredRole
}

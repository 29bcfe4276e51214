import ConformDomain
import ConformProtos
import ConformService
import GRPCCore

/// The wire side of signatories: who signs, with which key, holding what.
extension EvidenceHandlers {
    func registerSignatory(
        request: Conform_Evidence_V1_RegisterSignatoryRequest,
        context: ServerContext
    ) async throws -> Conform_Evidence_V1_Signatory {
        let principal = try FieldRules.text(request.principal, field: "principal", maxLength: 200)
        let printedName = try FieldRules.text(request.printedName, field: "printed_name", maxLength: 200)
        let (_, fingerprint) = try SignatureProof.publicKey(request.publicKeyPem)
        let signatory = Signatory(
            principal: principal, printedName: printedName, publicKeyPEM: request.publicKeyPem, keyFingerprint: fingerprint, qualifications: []
        )
        return try await self.writes.write(request) { transaction in
            try await SignatoryStore.insert(signatory, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger)
            let message = signatory.message
            try await transaction.recordCreation(of: message, object: "signatory:\(principal)", event: "signatory.registered")
            return message
        }
    }

    func grantQualification(
        request: Conform_Evidence_V1_GrantQualificationRequest,
        context: ServerContext
    ) async throws -> Conform_Evidence_V1_Signatory {
        let principal = try FieldRules.text(request.principal, field: "principal", maxLength: 200)
        let given = request.qualification
        return try await self.writes.write(request) { transaction in
            guard var signatory = try await SignatoryStore.find(principal, on: transaction.connection, logger: transaction.logger) else {
                throw DomainError.notFound("\(principal) is not a registered signatory; register them first with RegisterSignatory")
            }
            let qualification = try SignatoryRules.qualification(
                kind: Qualification.Kind(given.kind), name: given.name, validFrom: given.validFrom, validTo: given.validTo,
                reference: given.reference, grantedBy: transaction.call.principal.name
            )
            let before = signatory.message
            try await SignatoryStore.grant(qualification, to: principal, on: transaction.connection, logger: transaction.logger)
            signatory.qualifications.append(qualification)
            let after = signatory.message
            try await transaction.recordChange(object: "signatory:\(principal)", before: before, after: after)
            try await transaction.publish(type: "signatory.qualified", subject: "signatory:\(principal)", payload: after)
            return after
        }
    }

    func getSignatory(request: Conform_Evidence_V1_GetSignatoryRequest, context: ServerContext) async throws -> Conform_Evidence_V1_Signatory {
        let call = try CallContext.required()
        guard let signatory = try await SignatoryStore.find(request.principal, in: self.database, logger: call.logger) else {
            throw DomainError.notFound("\(request.principal) is not a registered signatory; ListSignatories shows who is")
        }
        return signatory.message
    }

    func listSignatories(
        request: Conform_Evidence_V1_ListSignatoriesRequest,
        context: ServerContext
    ) async throws -> Conform_Evidence_V1_ListSignatoriesResponse {
        let call = try CallContext.required()
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListSignatories")
        let rows = try await SignatoryStore.list(after: page.after(0), limit: page.readLimit, in: self.database, logger: call.logger)
        let (signatories, next) = page.finish(rows) { [$0.principal] }
        return .with {
            $0.signatories = signatories.map(\.message)
            $0.nextPageToken = next
        }
    }
}

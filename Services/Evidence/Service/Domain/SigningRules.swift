public import ConformDomain

/// Who may sign what, and when a signature is believable.
public enum SigningRules {
    /// Who approves an amendment of a completed record (meaning `amended`).
    public static let amendmentApprover = "quality-manager"

    /// Refuses a signer who lacks, on the signing date, what the record's requirements reserve
    /// signatures of this meaning for; or, when the caller names `requiredRole`, that role.
    ///
    /// - Parameter documentType: for a signature on a document, its type.
    public static func checkEligible(
        _ signer: Signatory,
        manifest: SignatureManifest,
        checklist: Checklist?,
        documentType: String?,
        requiredRole: String?,
        reservedOnly: Bool = false
    ) throws {
        let day = manifest.signingDay
        let roles = Set(signer.roles(on: day))
        let certifications = Set(signer.certifications(on: day))
        let held = Self.describe(signer: signer.principal, roles: roles, certifications: certifications, on: day)
        // A caller's own demand (a release is the quality manager's approval) is the whole
        // test: it is not one of the signatures a customer's requirement reserves.
        if let requiredRole {
            guard roles.contains(requiredRole) else {
                throw DomainError.notEligible("a \(manifest.meaning.rawValue) signature here needs role \(requiredRole); \(held)")
            }
            return
        }
        var demands: [(label: String, satisfied: Bool, needs: String)] = []
        for requirement in checklist?.requirements ?? [] {
            for rule in requirement.rules {
                guard let reserved = RuleEvaluator.reservation(rule, meaning: manifest.meaning, documentType: documentType) else { continue }
                // One of the roles (a dual signature's either role) and the certification.
                let satisfied = (reserved.roles.isEmpty || reserved.roles.contains(where: roles.contains))
                    && (reserved.certification.map(certifications.contains) ?? true)
                let needs = [
                    reserved.roles.isEmpty ? nil : "role \(reserved.roles.joined(separator: " or "))",
                    reserved.certification.map { "certification \($0)" },
                ].compactMap { $0 }.joined(separator: " and ")
                demands.append((requirement.label, satisfied, needs))
            }
        }
        // An amended record is signed again only where a rule reserves the signature.
        if reservedOnly, demands.isEmpty {
            throw DomainError.invalid(
                field: "manifest",
                reason: "an amended record takes the quality manager's amended signature and the signatures its requirements reserve; none reserves a \(manifest.meaning.rawValue) signature here"
            )
        }
        guard demands.isEmpty || demands.contains(where: \.satisfied) else {
            let reserved = demands.map { "\($0.label) reserves it for \($0.needs)" }.joined(separator: "; ")
            throw DomainError.notEligible("\(manifest.principalDescription) cannot sign here: \(reserved); \(held)")
        }
    }

    private static func describe(signer: String, roles: Set<String>, certifications: Set<String>, on day: Day) -> String {
        let all = roles.sorted().map { "role \($0)" } + certifications.sorted().map { "certification \($0)" }
        return "\(signer) holds \(all.isEmpty ? "no role or certification" : all.joined(separator: ", ")) on \(day)"
    }
}

extension SignatureManifest {
    var principalDescription: String { "\(self.printedName) (\(self.signer))" }
}

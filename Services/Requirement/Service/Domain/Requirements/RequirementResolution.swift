public import ConformDomain
/// Where a version stands on a given day.
public enum VersionStatus: Sendable, Equatable {
    case draft
    /// Effective, but needs capabilities not validated by that day: not enforced.
    case awaitingValidation(missing: [String])
    /// Its effective date has not come.
    case notYetEffective
    /// The version in force.
    case active
    /// A later version is in force instead.
    case superseded(by: VersionNumber)
    /// Its last day has passed.
    case expired
    case retired
}

/// A requirement in force for a product on a day, and why.
public struct ResolvedRequirement: Sendable, Equatable {
    public var requirement: Requirement
    public var version: RequirementVersion
    /// How the product fell into the requirement's scope.
    public var scopeMatch: String
    /// Why this version and not another, in words.
    public var reasons: [String]
}

/// The rules that decide which version of which requirement a batch is held to.
public enum RequirementResolution {
    /// The status of each version of `requirement` on `day`, in version order.
    public static func statuses(
        of requirement: Requirement,
        on day: Day,
        validations: [CapabilityValidation]
    ) -> [(RequirementVersion, VersionStatus)] {
        let inForce = self.versionInForce(of: requirement, on: day, validations: validations)
        return requirement.versions.sorted { $0.number < $1.number }.map { version in
            (version, self.status(of: version, in: requirement, inForce: inForce, on: day, validations: validations))
        }
    }

    /// The version of `requirement` in force on `day`, if any.
    ///
    /// Nothing, from the day the requirement is retired. Otherwise, of the published versions
    /// effective by that day with every required capability validated on or before it, the
    /// one that took effect last wins (the higher number on the same day). A version awaiting validation is passed over, so the one before
    /// it stays in force. If the winner's last day has passed, nothing is in force: an
    /// expired temporary requirement does not bring back an older version.
    public static func versionInForce(
        of requirement: Requirement,
        on day: Day,
        validations: [CapabilityValidation]
    ) -> RequirementVersion? {
        if let retirement = requirement.retirement, retirement.on <= day { return nil }
        let candidates = requirement.versions.filter { version in
            !version.isDraft
                && version.effectiveFrom <= day
                && self.missingCapabilities(of: version, on: day, validations: validations).isEmpty
        }
        guard let winner = candidates.max(by: { ($0.effectiveFrom, $0.number) < ($1.effectiveFrom, $1.number) }) else {
            return nil
        }
        if let last = winner.expiresOn, last < day { return nil }
        return winner
    }

    /// Every requirement of the customer that applies to the product on `day`, with reasons.
    public static func resolve(
        _ requirements: [Requirement],
        product: String,
        family: String,
        on day: Day,
        validations: [CapabilityValidation]
    ) -> [ResolvedRequirement] {
        requirements.compactMap { requirement in
            guard let scopeMatch = requirement.scope.match(product: product, family: family),
                  let version = self.versionInForce(of: requirement, on: day, validations: validations)
            else { return nil }
            var reasons = ["version \(version.number) took effect on \(version.effectiveFrom)"]
            if let last = version.expiresOn { reasons.append("it holds until \(last)") }
            if !version.requiredCapabilities.isEmpty {
                reasons.append("its capabilities were validated: \(version.requiredCapabilities.joined(separator: ", "))")
            }
            for (other, status) in self.statuses(of: requirement, on: day, validations: validations) where other.number != version.number {
                switch status {
                case .awaitingValidation(let missing):
                    reasons.append("version \(other.number) is effective but awaits validation of \(missing.joined(separator: ", ")), so \(version.number) stays in force")
                case .notYetEffective:
                    reasons.append("version \(other.number) takes effect on \(other.effectiveFrom)")
                default:
                    break
                }
            }
            return ResolvedRequirement(requirement: requirement, version: version, scopeMatch: scopeMatch, reasons: reasons)
        }
        .sorted { ($0.requirement.customer, $0.requirement.id) < ($1.requirement.customer, $1.requirement.id) }
    }

    /// Capabilities `version` needs that were not validated on or before `day`.
    public static func missingCapabilities(of version: RequirementVersion, on day: Day, validations: [CapabilityValidation]) -> [String] {
        version.requiredCapabilities.filter { capability in
            !validations.contains { $0.capability == capability && $0.validatedOn <= day }
        }
    }

    private static func status(
        of version: RequirementVersion,
        in requirement: Requirement,
        inForce: RequirementVersion?,
        on day: Day,
        validations: [CapabilityValidation]
    ) -> VersionStatus {
        if version.isDraft { return .draft }
        if let retirement = requirement.retirement, retirement.on <= day { return .retired }
        if version.effectiveFrom > day { return .notYetEffective }
        let missing = self.missingCapabilities(of: version, on: day, validations: validations)
        if !missing.isEmpty { return .awaitingValidation(missing: missing) }
        if let inForce, inForce.number == version.number { return .active }
        if let last = version.expiresOn, last < day { return .expired }
        if let inForce { return .superseded(by: inForce.number) }
        return .expired
    }
}

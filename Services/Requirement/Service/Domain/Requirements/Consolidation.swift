public import ConformDomain

/// An evidence rule of the consolidated set, and the requirements it came from.
public struct ConsolidatedRule: Sendable, Equatable {
    public var rule: EvidenceRule
    /// e.g. "A/CSR-A-0202 v1.0", in the order they were merged.
    public var sources: [String]
    /// Mandatory when any source is.
    public var strength: RequirementStrength
}

/// The union of several customers' rules for one product, the most stringent winning.
///
/// Rules of a kind merge where one rule can say both demands at once:
/// - photos of the same kind and certification: the larger minimum count;
/// - documents of the same type and signer (or one without a signer): the union of required
///   fields, the media types both accept (when none are shared, both rules stay);
/// - approved-supplier: the shorter maximum audit age;
/// - serialization: every method any customer asks for;
/// - record fields: every field (a name asked for with two types keeps both rules);
/// - Part 11 controls: every control any customer asks for.
/// Signatures, dual signatures and periodic exports merge only when identical: each distinct
/// one must be met on its own.
public enum Consolidation {
    public static func merge(_ rules: [(source: String, strength: RequirementStrength, rule: EvidenceRule)]) -> [ConsolidatedRule] {
        var merged: [ConsolidatedRule] = []
        for (source, strength, rule) in rules {
            if let index = merged.firstIndex(where: { Self.combine($0.rule, rule) != nil }), let combined = Self.combine(merged[index].rule, rule) {
                merged[index].rule = combined
                merged[index].sources.append(source)
                if strength == .mandatory { merged[index].strength = .mandatory }
            } else {
                merged.append(ConsolidatedRule(rule: rule, sources: [source], strength: strength))
            }
        }
        return merged
    }

    /// One rule demanding what both do, or nil when no single rule can.
    static func combine(_ first: EvidenceRule, _ second: EvidenceRule) -> EvidenceRule? {
        switch (first, second) {
        case let (.photos(kind, count, certification), .photos(otherKind, otherCount, otherCertification))
            where kind == otherKind && certification == otherCertification:
            return .photos(kind: kind, minimumCount: max(count, otherCount), certification: certification)
        case let (.document(type, media, fields, signer), .document(otherType, otherMedia, otherFields, otherSigner))
            where type == otherType && (signer == nil || otherSigner == nil || signer == otherSigner):
            let shared = media.filter(otherMedia.contains)
            guard !shared.isEmpty else { return nil }
            return .document(type: type, mediaTypes: shared, requiredFields: Self.union(fields, otherFields), signerRole: signer ?? otherSigner)
        case let (.approvedSupplier(days), .approvedSupplier(otherDays)):
            return .approvedSupplier(maxAuditAgeDays: min(days, otherDays))
        case let (.serialization(methods), .serialization(otherMethods)):
            return .serialization(methods: SerializationMethod.allCases.filter { methods.contains($0) || otherMethods.contains($0) })
        case let (.recordFields(fields), .recordFields(otherFields)):
            var combined = fields
            for field in otherFields {
                if let existing = combined.first(where: { $0.name == field.name }) {
                    if existing.type != field.type { return nil }
                } else {
                    combined.append(field)
                }
            }
            return .recordFields(combined)
        case let (.part11Controls(lock, audit), .part11Controls(otherLock, otherAudit)):
            return .part11Controls(lockOnCompletion: lock || otherLock, auditAccess: audit || otherAudit)
        default:
            return first == second ? first : nil
        }
    }

    private static func union(_ first: [String], _ second: [String]) -> [String] {
        first + second.filter { !first.contains($0) }
    }
}

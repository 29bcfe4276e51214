public import ConformDomain

/// Something wrong with one requirement of an import: where, and why.
public struct ImportProblem: Sendable, Equatable {
    /// The requirement's position in the import, from 0.
    public var entry: Int
    /// The field at fault, e.g. "versions[1].effective_from" ("" for the entry as a whole).
    public var field: String
    public var reason: String

    public init(entry: Int, field: String, reason: String) {
        self.entry = entry
        self.field = field
        self.reason = reason
    }

    /// The problem a rule's refusal describes.
    public init(entry: Int, error: DomainError, field fallback: String = "") {
        switch error {
        case .invalid(let field, let reason):
            self.init(entry: entry, field: field, reason: reason)
        default:
            self.init(entry: entry, field: fallback, reason: error.description)
        }
    }
}

/// What an import does with one requirement, given what is stored.
public enum ImportStep: Sendable, Equatable {
    /// A requirement the customer has not had before, with all its versions.
    case create(Requirement)
    /// Versions new to a stored requirement, in order; the rest were stored exactly so.
    case addVersions(to: Requirement, [RequirementVersion], unchanged: Int)
}

/// The rules of importing a customer's requirements: an import only ever adds. It creates
/// requirements and appends versions, and a version already stored must come back exactly as
/// it is, so importing the same file twice changes nothing.
public enum RequirementImport {
    /// The most requirements one import may carry.
    public static let maxEntries = 10_000

    /// What to do with `imported` (entry `entry` of the import), or every problem with it.
    public static func plan(_ imported: Requirement, stored: Requirement?, entry: Int) -> Result<ImportStep, ProblemList> {
        var problems: [ImportProblem] = []
        guard let stored else {
            var accepted: [RequirementVersion] = []
            for (index, version) in imported.versions.enumerated() {
                do {
                    try RequirementRules.checkNewVersion(version, after: accepted, requirement: "\(imported.customer)/\(imported.id)")
                    accepted.append(version)
                } catch let error as DomainError {
                    problems.append(ImportProblem(entry: entry, error: error, field: "versions[\(index)]"))
                } catch {
                    problems.append(ImportProblem(entry: entry, field: "versions[\(index)]", reason: "\(error)"))
                }
            }
            return problems.isEmpty ? .success(.create(imported)) : .failure(ProblemList(problems))
        }
        let name = "\(stored.customer)/\(stored.id)"
        if imported.category != stored.category {
            problems.append(ImportProblem(
                entry: entry, field: "category",
                reason: "is \(imported.category.rawValue), but \(name) is stored as \(stored.category.rawValue); an import adds versions and never changes a requirement"
            ))
        }
        if imported.strength != stored.strength {
            problems.append(ImportProblem(
                entry: entry, field: "strength",
                reason: "is \(imported.strength.rawValue), but \(name) is stored as \(stored.strength.rawValue); an import adds versions and never changes a requirement"
            ))
        }
        if imported.scope != stored.scope {
            problems.append(ImportProblem(
                entry: entry, field: "scope",
                reason: "differs from the scope \(name) is stored with; an import adds versions and never changes a requirement"
            ))
        }
        var current = stored
        var added: [RequirementVersion] = []
        var unchanged = 0
        for (index, version) in imported.versions.enumerated() {
            if let same = stored.versions.first(where: { $0.number == version.number }) {
                let differences = Self.differences(between: same, and: version)
                if differences.isEmpty {
                    unchanged += 1
                } else {
                    problems.append(ImportProblem(
                        entry: entry, field: "versions[\(index)]",
                        reason: "version \(version.number) of \(name) is stored with a different \(differences.joined(separator: ", ")); a stored version never changes, so give the change a new version number"
                    ))
                }
                continue
            }
            do {
                try RequirementRules.checkNewVersion(version, to: current)
                current.versions.append(version)
                added.append(version)
            } catch let error as DomainError {
                problems.append(ImportProblem(entry: entry, error: error, field: "versions[\(index)]"))
            } catch {
                problems.append(ImportProblem(entry: entry, field: "versions[\(index)]", reason: "\(error)"))
            }
        }
        return problems.isEmpty ? .success(.addVersions(to: stored, added, unchanged: unchanged)) : .failure(ProblemList(problems))
    }

    /// Ids that appear more than once among `ids`, each problem naming the earlier entry.
    public static func duplicates(among ids: [(entry: Int, id: String)]) -> [ImportProblem] {
        var first: [String: Int] = [:]
        var problems: [ImportProblem] = []
        for (entry, id) in ids {
            if let earlier = first[id] {
                problems.append(ImportProblem(
                    entry: entry, field: "requirement_id",
                    reason: "\(id) appears in entry \(earlier + 1) already; list each requirement once, with all its versions"
                ))
            } else {
                first[id] = entry
            }
        }
        return problems
    }

    /// The fields in which two versions with the same number differ, as people name them.
    static func differences(between stored: RequirementVersion, and imported: RequirementVersion) -> [String] {
        var fields: [String] = []
        if stored.title != imported.title { fields.append("title") }
        if stored.text != imported.text { fields.append("text") }
        if stored.acceptanceCriteria != imported.acceptanceCriteria { fields.append("acceptance criteria") }
        if stored.source != imported.source { fields.append("source") }
        if stored.effectiveFrom != imported.effectiveFrom { fields.append("effective date") }
        if stored.expiresOn != imported.expiresOn { fields.append("expiry date") }
        if stored.requiredCapabilities != imported.requiredCapabilities { fields.append("required capabilities") }
        // A draft published since it was first imported is the same version.
        if stored.isDraft && !imported.isDraft {
            fields.append("draft state (it is stored as a draft: publish it with PublishVersion)")
        }
        if stored.evidenceRules != imported.evidenceRules { fields.append("evidence rules") }
        return fields
    }
}

/// The problems found with one entry; never empty.
public struct ProblemList: Error, Sendable, Equatable {
    public var problems: [ImportProblem]

    public init(_ problems: [ImportProblem]) {
        self.problems = problems
    }
}

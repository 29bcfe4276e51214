import ConformProtos
import Foundation
import Yams

/// A customer's requirements read from a YAML or JSON file (JSON is read as YAML, which it
/// is), remembering where in the file every field was, so that a problem the service finds
/// can be shown at its line and column.
struct RequirementFile {
    /// A problem with the file's shape, found before anything is sent.
    struct Problem {
        var mark: Mark?
        var entry: Int?
        var message: String
    }

    let path: String
    var customer: String
    /// Every requirement in the file, in file order; nil where an entry could not be read.
    var entries: [Conform_Requirement_V1_ImportedRequirement?] = []
    var problems: [Problem] = []
    /// For each entry, where each field path ("versions[1].source.kind") starts in the file.
    private var marks: [[String: Mark]] = []

    /// The fields of a requirement and of a version, as the service names them.
    static let requirementFields = ["requirement_id", "category", "strength", "scope", "versions"]
    static let versionFields = [
        "number", "title", "text", "acceptance_criteria", "source", "effective_from", "expires_on",
        "required_capabilities", "draft", "evidence_rules",
    ]

    /// Reads `path`; `customer` (from the command line) is used when the file names none.
    init(path: String, customer: String?) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read \(path): no such file, or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIError("\(path) is not UTF-8 text; save it as UTF-8 YAML or JSON")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw CLIError("\(path) is not valid YAML or JSON: \(Self.describe(error))")
        }
        guard case .mapping(let top)? = root else {
            throw CLIError("\(path) must hold a mapping with 'customer' and 'requirements' (docs/REQUIREMENTS.md shows the format)")
        }
        for key in top.keys where !["customer", "requirements"].contains(key.string ?? "") {
            self.problems.append(Problem(mark: key.mark, entry: nil, message: "unknown field '\(key.string ?? "?")'; a file has 'customer' and 'requirements'"))
        }
        let named = top["customer"]?.scalar?.string
        switch (named, customer) {
        case (let named?, let given?) where named.uppercased() != given.uppercased():
            throw CLIError("\(path) holds customer \(named)'s requirements, not \(given)'s; drop --customer or fix the file")
        case (let named?, _): self.customer = named
        case (nil, let given?): self.customer = given
        case (nil, nil): throw CLIError("\(path) names no customer: add 'customer: CODE' at the top, or give --customer")
        }
        guard case .sequence(let list)? = top["requirements"] else {
            throw CLIError("\(path) has no 'requirements' list")
        }
        for (index, node) in list.enumerated() {
            var reader = EntryReader(entry: index)
            let requirement = reader.requirement(node)
            self.entries.append(reader.problems.isEmpty ? requirement : nil)
            self.problems += reader.problems
            self.marks.append(reader.marks)
        }
    }

    /// Where `field` of entry `entry` is in the file: the longest known prefix of the path,
    /// else the entry itself.
    func mark(entry: Int, field: String) -> Mark? {
        guard self.marks.indices.contains(entry) else { return nil }
        var path = field
        while !path.isEmpty {
            if let mark = self.marks[entry][path] { return mark }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            path = String(path[..<cut])
        }
        return self.marks[entry][""]
    }

    /// "file:line:col" for a position.
    func place(_ mark: Mark?) -> String {
        mark.map { "\(self.path):\($0.line):\($0.column)" } ?? self.path
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return "line \(mark.line), column \(mark.column): \(problem)"
        default:
            return "\(error)"
        }
    }
}

/// Reads one entry, collecting every problem with its position rather than stopping at one.
private struct EntryReader {
    let entry: Int
    var problems: [RequirementFile.Problem] = []
    var marks: [String: Mark] = [:]

    init(entry: Int) {
        self.entry = entry
    }

    mutating func requirement(_ node: Node) -> Conform_Requirement_V1_ImportedRequirement {
        self.marks[""] = node.mark
        var message = Conform_Requirement_V1_ImportedRequirement()
        guard let mapping = self.mapping(node, path: "", allowed: RequirementFile.requirementFields) else { return message }
        message.requirementID = self.text(mapping["requirement_id"], path: "requirement_id", required: true)
        let category = self.text(mapping["category"], path: "category", required: true)
        if !category.isEmpty {
            message.category = self.choice(category, path: "category", among: Names.categories)
        }
        let strength = self.text(mapping["strength"], path: "strength", required: true)
        if !strength.isEmpty {
            message.strength = self.choice(strength, path: "strength", among: Names.strengths)
        }
        if let scope = mapping["scope"] {
            message.scope = self.scope(scope)
        } else {
            self.problem(node.mark, "scope is missing: all, {family: CODE} or {products: [CODE, ...]}")
        }
        if case .sequence(let versions)? = mapping["versions"] {
            message.versions = versions.enumerated().map { index, version in self.version(version, path: "versions[\(index)]") }
        } else {
            self.problem(mapping["versions"]?.mark ?? node.mark, "versions must be a list with at least the first version")
        }
        return message
    }

    private mutating func version(_ node: Node, path: String) -> Conform_Requirement_V1_RequirementVersion {
        self.marks[path] = node.mark
        var version = Conform_Requirement_V1_RequirementVersion()
        guard let mapping = self.mapping(node, path: path, allowed: RequirementFile.versionFields) else { return version }
        version.number = self.text(mapping["number"], path: "\(path).number", required: true)
        version.title = self.text(mapping["title"], path: "\(path).title", required: true)
        version.text = self.text(mapping["text"], path: "\(path).text", required: true)
        version.acceptanceCriteria = self.text(mapping["acceptance_criteria"], path: "\(path).acceptance_criteria", required: false)
        if let source = mapping["source"] {
            if let fields = self.mapping(source, path: "\(path).source", allowed: ["kind", "reference", "received_on"]) {
                let kind = self.text(fields["kind"], path: "\(path).source.kind", required: true)
                if !kind.isEmpty {
                    version.source.kind = self.choice(kind, path: "\(path).source.kind", among: Names.sourceKinds)
                }
                version.source.reference = self.text(fields["reference"], path: "\(path).source.reference", required: true)
                version.source.receivedOn = self.text(fields["received_on"], path: "\(path).source.received_on", required: true)
            }
        } else {
            self.problem(node.mark, "\(path).source is missing: {kind, reference, received_on}")
        }
        version.effectiveFrom = self.text(mapping["effective_from"], path: "\(path).effective_from", required: true)
        version.expiresOn = self.text(mapping["expires_on"], path: "\(path).expires_on", required: false)
        version.requiredCapabilities = self.texts(mapping["required_capabilities"], path: "\(path).required_capabilities")
        if let draft = mapping["draft"] {
            self.marks["\(path).draft"] = draft.mark
            if let value = draft.bool { version.draft = value } else { self.problem(draft.mark, "\(path).draft must be true or false") }
        }
        if let rules = mapping["evidence_rules"] {
            guard case .sequence(let list) = rules else {
                self.problem(rules.mark, "\(path).evidence_rules must be a list of rules")
                return version
            }
            version.evidenceRules = list.enumerated().compactMap { index, rule in
                self.evidenceRule(rule, path: "\(path).evidence_rules[\(index)]")
            }
        }
        return version
    }

    private mutating func scope(_ node: Node) -> Conform_Requirement_V1_RequirementScope {
        self.marks["scope"] = node.mark
        if node.scalar?.string == "all" { return .with { $0.allProducts = true } }
        if let mapping = self.mapping(node, path: "scope", allowed: ["family", "products"]), mapping.count == 1 {
            if let family = mapping["family"] {
                return .with { $0.family = self.text(family, path: "scope.family", required: true) }
            }
            if let products = mapping["products"] {
                let codes = self.texts(products, path: "scope.products")
                return .with { $0.products = .with { $0.codes = codes } }
            }
        }
        self.problem(node.mark, "scope must be all, {family: CODE} or {products: [CODE, ...]}")
        return .init()
    }

    /// A rule as the service's protobuf JSON reads it, kinds and fields in snake_case or
    /// camelCase, enum values by their short names (qr, approved, monthly).
    private mutating func evidenceRule(_ node: Node, path: String) -> Conform_Requirement_V1_EvidenceRule? {
        self.marks[path] = node.mark
        guard case .mapping(let mapping) = node, mapping.count == 1, let kindNode = mapping.first?.key, let kind = kindNode.string else {
            self.problem(node.mark, "\(path) must name one kind of rule, e.g. 'photos: {kind: ndt, minimum_count: 4}'")
            return nil
        }
        guard let canonical = Names.ruleKinds[kind] else {
            self.problem(kindNode.mark, "\(path): '\(kind)' is not a kind of evidence rule; the kinds are \(Names.ruleKinds.values.sorted().joined(separator: ", "))")
            return nil
        }
        self.recordMarks(mapping[kindNode] ?? node, path: "\(path).\(canonical)")
        let body = Names.friendlyEnums(in: Self.json(mapping[kindNode] ?? node), kind: canonical)
        do {
            let data = try JSONSerialization.data(withJSONObject: [canonical: body])
            return try Conform_Requirement_V1_EvidenceRule(jsonUTF8Data: data)
        } catch {
            self.problem(node.mark, "\(path) (\(canonical)) cannot be read: \(error)")
            return nil
        }
    }

    /// Remembers where each key below `node` is, so the service's field paths find a line.
    private mutating func recordMarks(_ node: Node, path: String) {
        self.marks[path] = node.mark
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                if let name = key.string { self.recordMarks(value, path: "\(path).\(name)") }
            }
        case .sequence(let list):
            for (index, value) in list.enumerated() { self.recordMarks(value, path: "\(path)[\(index)]") }
        default:
            break
        }
    }

    /// A YAML node as JSON values, scalars typed as YAML resolves them.
    private static func json(_ node: Node) -> Any {
        switch node {
        case .mapping(let mapping):
            var object: [String: Any] = [:]
            for (key, value) in mapping { object[key.string ?? ""] = Self.json(value) }
            return object
        case .sequence(let list):
            return list.map(Self.json)
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.bool.rawValue: return node.bool ?? scalar.string
            case Tag.Name.int.rawValue: return node.int ?? scalar.string
            case Tag.Name.float.rawValue: return node.float ?? scalar.string
            case Tag.Name.null.rawValue: return NSNull()
            default: return scalar.string
            }
        case .alias:
            return NSNull()
        }
    }

    private mutating func mapping(_ node: Node, path: String, allowed: [String]) -> Node.Mapping? {
        guard case .mapping(let mapping) = node else {
            self.problem(node.mark, "\(path.isEmpty ? "a requirement" : path) must be a mapping of \(allowed.joined(separator: ", "))")
            return nil
        }
        for key in mapping.keys {
            let name = key.string ?? "?"
            if !allowed.contains(name) {
                let at = path.isEmpty ? "" : " in \(path)"
                self.problem(key.mark, "unknown field '\(name)'\(at); the fields are \(allowed.joined(separator: ", "))")
            }
        }
        return mapping
    }

    private mutating func text(_ node: Node?, path: String, required: Bool) -> String {
        guard let node else {
            if required { self.problem(self.marks[Self.parent(of: path)] ?? self.marks[""] ?? nil, "\(path) is missing") }
            return ""
        }
        self.marks[path] = node.mark
        guard case .scalar(let scalar) = node else {
            self.problem(node.mark, "\(path) must be text, not a list or mapping")
            return ""
        }
        return scalar.string
    }

    private mutating func texts(_ node: Node?, path: String) -> [String] {
        guard let node else { return [] }
        self.marks[path] = node.mark
        guard case .sequence(let list) = node else {
            self.problem(node.mark, "\(path) must be a list, e.g. [a, b]")
            return []
        }
        return list.enumerated().map { index, item in self.text(item, path: "\(path)[\(index)]", required: true) }
    }

    private mutating func choice<Value>(_ text: String, path: String, among names: [String: Value]) -> Value where Value: SwiftProtobufEnumDefault {
        if let value = names[text] { return value }
        self.problem(self.marks[path], "\(path): '\(text)' is not one of \(names.keys.sorted().joined(separator: ", "))")
        return .unspecifiedValue
    }

    private mutating func problem(_ mark: Mark?, _ message: String) {
        self.problems.append(RequirementFile.Problem(mark: mark, entry: self.entry, message: message))
    }

    private static func parent(of path: String) -> String {
        guard let cut = path.lastIndex(of: ".") else { return "" }
        return String(path[..<cut])
    }
}

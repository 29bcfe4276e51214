import ConformDomain
import ConformStorage
import Foundation
import Logging
import PostgresNIO

/// Requirements and their versions in the requirement schema.
enum RequirementStore {
    static func insert(
        _ requirement: Requirement,
        by principal: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let (kind, family, products) = Self.columns(of: requirement.scope)
        do {
            try await connection.query(
                """
                INSERT INTO requirements
                    (customer, requirement_id, category, strength, scope_kind, scope_family, scope_products, created_at_micros, created_by)
                VALUES (\(requirement.customer), \(requirement.id), \(requirement.category.rawValue), \(requirement.strength.rawValue),
                        \(kind), \(family), \(products), \(Timestamps.nowMicros()), \(principal))
                """,
                logger: logger
            )
        } catch let error as PSQLError where DatabaseError(classifying: error).kind == .uniqueViolation {
            throw DomainError.alreadyExists(
                "customer \(requirement.customer) already has requirement \(requirement.id); add a version to it with AddRequirementVersion"
            )
        }
        for version in requirement.versions {
            try await Self.insert(version, of: requirement, by: principal, on: connection, logger: logger)
        }
    }

    static func insert(
        _ version: RequirementVersion,
        of requirement: Requirement,
        by principal: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO requirement_versions
                (customer, requirement_id, number, title, body, acceptance_criteria, source_kind, source_reference,
                 source_received_on, effective_from, expires_on, required_capabilities, draft, evidence_rules, created_at_micros, created_by)
            VALUES (\(requirement.customer), \(requirement.id), \(version.number.description), \(version.title), \(version.text),
                    \(version.acceptanceCriteria), \(version.source.kind.rawValue), \(version.source.reference),
                    \(version.source.receivedOn.description)::date, \(version.effectiveFrom.description)::date,
                    \(version.expiresOn?.description)::date, \(version.requiredCapabilities), \(version.isDraft),
                    \(String(decoding: try JSONEncoder().encode(version.evidenceRules), as: UTF8.self)), \(Timestamps.nowMicros()), \(principal))
            """,
            logger: logger
        )
    }

    /// One requirement with its versions, read in the caller's transaction and locked
    /// against a concurrent new version.
    static func findForUpdate(customer: String, id: String, on connection: PostgresConnection, logger: Logger) async throws -> Requirement? {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.selectList)
            FROM requirements WHERE customer = \(customer) AND requirement_id = \(id) FOR UPDATE
            """,
            logger: logger
        )
        return try await Self.assemble(rows, on: connection, logger: logger).first
    }

    /// Every requirement of a customer, read in the caller's transaction and locked against
    /// concurrent changes.
    static func listForUpdate(customer: String, on connection: PostgresConnection, logger: Logger) async throws -> [Requirement] {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.selectList)
            FROM requirements WHERE customer = \(customer) ORDER BY requirement_id FOR UPDATE
            """,
            logger: logger
        )
        return try await Self.assemble(rows, on: connection, logger: logger)
    }

    static func publish(
        customer: String, id: String, number: VersionNumber, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            UPDATE requirement_versions SET draft = false
            WHERE customer = \(customer) AND requirement_id = \(id) AND number = \(number.description)
            """,
            logger: logger
        )
    }

    static func retire(
        customer: String, id: String, _ retirement: Retirement, by principal: String, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            UPDATE requirements
            SET retired_on = \(retirement.on.description)::date, retirement_reason = \(retirement.reason), retired_by = \(principal)
            WHERE customer = \(customer) AND requirement_id = \(id)
            """,
            logger: logger
        )
    }

    static func find(customer: String, id: String, in database: Database, logger: Logger) async throws -> Requirement? {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.selectList)
                FROM requirements WHERE customer = \(customer) AND requirement_id = \(id)
                """,
                logger: logger
            )
            return try await Self.assemble(rows, on: connection, logger: logger).first
        }
    }

    /// The requirements of a customer, ordered by id: those after requirement `after`, at most
    /// `limit` (every one when nil).
    static func list(customer: String, after: String? = nil, limit: Int? = nil, in database: Database, logger: Logger) async throws -> [Requirement] {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.selectList)
                FROM requirements WHERE customer = \(customer) AND (\(after)::text IS NULL OR requirement_id > \(after))
                ORDER BY requirement_id LIMIT \(limit)
                """,
                logger: logger
            )
            return try await Self.assemble(rows, on: connection, logger: logger)
        }
    }

    private static let selectList =
        "customer, requirement_id, category, strength, scope_kind, scope_family, scope_products, retired_on::text, retirement_reason"

    private static func assemble(_ rows: PostgresRowSequence, on connection: PostgresConnection, logger: Logger) async throws -> [Requirement] {
        var requirements: [Requirement] = []
        for try await (customer, id, category, strength, kind, family, products, retiredOn, reason) in rows.decode(
            (String, String, String, String, String, String, [String], String?, String).self
        ) {
            guard let category = RequirementCategory(rawValue: category), let strength = RequirementStrength(rawValue: strength) else {
                throw DatabaseError(.failed, "requirement \(customer)/\(id) has an unknown category or strength")
            }
            let scope: RequirementScope = kind == "all" ? .allProducts : kind == "family" ? .family(family) : .products(products)
            let retirement = retiredOn.flatMap(Day.init).map { Retirement(on: $0, reason: reason) }
            requirements.append(
                Requirement(customer: customer, id: id, category: category, strength: strength, scope: scope, versions: [], retirement: retirement)
            )
        }
        guard let customer = requirements.first?.customer else { return [] }
        let ids = requirements.map(\.id)
        let versions = try await connection.query(
            """
            SELECT requirement_id, number, title, body, acceptance_criteria, source_kind, source_reference,
                   source_received_on::text, effective_from::text, expires_on::text, required_capabilities, draft,
                   evidence_rules
            FROM requirement_versions WHERE customer = \(customer) AND requirement_id = ANY(\(ids))
            """,
            logger: logger
        )
        var byRequirement: [String: [RequirementVersion]] = [:]
        for try await row in versions {
            let (id, number, title, body, criteria, kind, reference, received, effective, expires, capabilities, draft, rules) =
                try row.decode((String, String, String, String, String, String, String, String, String, String?, [String], Bool, String).self)
            guard let version = VersionNumber(number), let kind = SourceKind(rawValue: kind), let received = Day(received),
                  let effective = Day(effective)
            else {
                throw DatabaseError(.failed, "version \(number) of requirement \(customer)/\(id) cannot be read back")
            }
            byRequirement[id, default: []].append(
                RequirementVersion(
                    number: version,
                    title: title,
                    text: body,
                    acceptanceCriteria: criteria,
                    source: RequirementSource(kind: kind, reference: reference, receivedOn: received),
                    effectiveFrom: effective,
                    expiresOn: expires.flatMap(Day.init),
                    requiredCapabilities: capabilities,
                    isDraft: draft,
                    evidenceRules: try JSONDecoder().decode([EvidenceRule].self, from: Data(rules.utf8))
                )
            )
        }
        return requirements.map { requirement in
            var complete = requirement
            complete.versions = (byRequirement[requirement.id] ?? []).sorted { $0.number < $1.number }
            return complete
        }
    }

    private static func columns(of scope: RequirementScope) -> (String, String, [String]) {
        switch scope {
        case .allProducts: return ("all", "", [])
        case .family(let family): return ("family", family, [])
        case .products(let codes): return ("products", "", codes)
        }
    }
}

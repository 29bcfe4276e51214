import ConformDomain
import ConformStorage
import Logging
import PostgresNIO

/// Signatories and their qualifications in the evidence schema.
enum SignatoryStore {
    static func insert(_ signatory: Signatory, by principal: String, on connection: PostgresConnection, logger: Logger) async throws {
        do {
            try await connection.query(
                """
                INSERT INTO signatories (principal, printed_name, public_key_pem, key_fingerprint, registered_at_micros, registered_by)
                VALUES (\(signatory.principal), \(signatory.printedName), \(signatory.publicKeyPEM), \(signatory.keyFingerprint),
                        \(Timestamps.nowMicros()), \(principal))
                """,
                logger: logger
            )
        } catch let error as PSQLError where DatabaseError(classifying: error).kind == .uniqueViolation {
            throw DomainError.alreadyExists("\(signatory.principal) is registered as a signatory already; GetSignatory shows them")
        }
    }

    static func grant(_ qualification: Qualification, to principal: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO qualifications (principal, kind, name, valid_from, valid_to, reference, granted_by, granted_at_micros)
            VALUES (\(principal), \(qualification.kind.rawValue), \(qualification.name), \(qualification.validFrom.description)::date,
                    \(qualification.validTo?.description)::date, \(qualification.reference), \(qualification.grantedBy), \(Timestamps.nowMicros()))
            """,
            logger: logger
        )
    }

    static func find(_ principal: String, on connection: PostgresConnection, logger: Logger) async throws -> Signatory? {
        try await Self.load(principal: principal, on: connection, logger: logger).first
    }

    static func find(_ principal: String, in database: Database, logger: Logger) async throws -> Signatory? {
        try await database.read(logger: logger) { connection in
            try await Self.load(principal: principal, on: connection, logger: logger).first
        }
    }

    /// The registered public keys (PEM) of `principals`, in one query; an unknown one is absent.
    static func publicKeys(of principals: [String], in database: Database, logger: Logger) async throws -> [String: String] {
        guard !principals.isEmpty else { return [:] }
        return try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT principal, public_key_pem FROM signatories WHERE principal = ANY(\(principals))",
                logger: logger
            )
            var keys: [String: String] = [:]
            for try await (principal, key) in rows.decode((String, String).self) { keys[principal] = key }
            return keys
        }
    }

    /// Signatories by principal after `after` (from the first when nil), at most `limit`.
    static func list(after: String?, limit: Int, in database: Database, logger: Logger) async throws -> [Signatory] {
        try await database.read(logger: logger) { connection in
            try await Self.load(principal: nil, after: after, limit: limit, on: connection, logger: logger)
        }
    }

    private static func load(
        principal: String?, after: String? = nil, limit: Int? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws -> [Signatory] {
        let rows = try await connection.query(
            """
            SELECT principal, printed_name, public_key_pem, key_fingerprint FROM signatories
            WHERE (\(principal)::text IS NULL OR principal = \(principal)) AND (\(after)::text IS NULL OR principal > \(after))
            ORDER BY principal
            LIMIT \(limit)
            """,
            logger: logger
        )
        var signatories: [Signatory] = []
        for try await (name, printed, key, fingerprint) in rows.decode((String, String, String, String).self) {
            signatories.append(Signatory(principal: name, printedName: printed, publicKeyPEM: key, keyFingerprint: fingerprint, qualifications: []))
        }
        guard !signatories.isEmpty else { return [] }
        let qualifications = try await connection.query(
            """
            SELECT principal, kind, name, valid_from::text, valid_to::text, reference, granted_by FROM qualifications
            WHERE principal = ANY(\(signatories.map(\.principal))) ORDER BY id
            """,
            logger: logger
        )
        var byPrincipal: [String: [Qualification]] = [:]
        for try await (name, kind, qualification, from, to, reference, grantedBy) in qualifications.decode(
            (String, String, String, String, String?, String, String).self
        ) {
            guard let kind = Qualification.Kind(rawValue: kind), let from = Day(from) else {
                throw DatabaseError(.failed, "a qualification of \(name) cannot be read back")
            }
            byPrincipal[name, default: []].append(
                Qualification(kind: kind, name: qualification, validFrom: from, validTo: to.flatMap(Day.init), reference: reference, grantedBy: grantedBy)
            )
        }
        return signatories.map { signatory in
            var complete = signatory
            complete.qualifications = byPrincipal[signatory.principal] ?? []
            return complete
        }
    }
}

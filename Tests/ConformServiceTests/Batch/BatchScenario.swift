import ConformDomain
import ConformProtos
import Foundation
import GRPCCore

/// Customers A (fasteners: a signed CoA with smelter date, grade, tensile and chemistry, and
/// a batch record field) and D (records signed by a certified quality inspector), with the
/// people who sign for them.
enum BatchScenario {
    static let coaFields = ["smelter-production-date", "material-grade", "tensile-strength", "chemical-composition"]
    static let inspectorKey = SigningKey()
    static let managerKey = SigningKey()
    static let supplierRepKey = SigningKey()
    static let operatorKey = SigningKey()

    static let pdf = Data("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n".utf8)

    static func version(_ number: String, from: String, rules: [Conform_Requirement_V1_EvidenceRule]) -> Conform_Requirement_V1_RequirementVersion {
        .with {
            $0.number = number
            $0.title = "Requirement v\(number)"
            $0.text = "What the customer demands, version \(number)."
            $0.source = .with { $0.kind = .customerSpecification; $0.reference = "spec rev \(number)"; $0.receivedOn = "2024-01-02" }
            $0.effectiveFrom = from
            $0.evidenceRules = rules
        }
    }

    static let coaRule = Conform_Requirement_V1_EvidenceRule.with {
        $0.document = .with {
            $0.type = "certificate-of-analysis"
            $0.mediaTypes = ["application/pdf"]
            $0.requiredFields = coaFields
            $0.signerRole = "supplier-quality-representative"
        }
    }

    /// Customers, products, requirements and signatories; batch numbers are the test's.
    static func seed(_ stack: ServiceStack) async throws {
        try await Self.seedRequirements(stack)
        try await Self.seedSignatories(stack)
    }

    /// Customers A and D, their products and requirements.
    static func seedRequirements(_ stack: ServiceStack) async throws {
        try await stack.requirement.requirement { client in
            _ = try await client.createCustomer(.with { $0.code = "A"; $0.name = "Customer A"; $0.industry = .automotive })
            _ = try await client.createCustomer(.with { $0.code = "D"; $0.name = "Customer D"; $0.industry = .medicalDevice })
            _ = try await client.createProduct(.with { $0.code = "FAST-M8"; $0.name = "M8 bolt"; $0.family = "FASTENERS" })
            _ = try await client.createProduct(.with { $0.code = "ABC"; $0.name = "Bracket"; $0.family = "BRACKETS" })
        }
        try await stack.requirement.catalog { client in
            _ = try await client.linkProduct(.with { $0.customer = "A"; $0.product = "FAST-M8" })
            _ = try await client.linkProduct(.with { $0.customer = "A"; $0.product = "ABC" })
            _ = try await client.linkProduct(.with { $0.customer = "D"; $0.product = "ABC" })
            _ = try await client.createRequirement(.with {
                $0.customer = "A"; $0.requirementID = "CSR-AUTO-0847"; $0.category = .documentation; $0.strength = .mandatory
                $0.scope = .with { $0.family = "FASTENERS" }
                $0.firstVersion = version("1.0", from: "2024-08-01", rules: [coaRule])
            })
            _ = try await client.addRequirementVersion(.with {
                $0.customer = "A"; $0.requirementID = "CSR-AUTO-0847"
                $0.version = version("2.0", from: "2025-03-01", rules: [
                    coaRule,
                    .with { $0.recordFields = .with { $0.fields = [.with { $0.name = "smelter-production-date"; $0.type = .date }] } },
                ])
            })
            _ = try await client.createRequirement(.with {
                $0.customer = "A"; $0.requirementID = "CSR-A-0300"; $0.category = .quality; $0.strength = .preferred
                $0.scope = .with { $0.allProducts = true }
                $0.firstVersion = version("1.0", from: "2024-01-01", rules: [.with { $0.photos = .with { $0.kind = "ndt"; $0.minimumCount = 2 } }])
            })
            _ = try await client.createRequirement(.with {
                $0.customer = "D"; $0.requirementID = "CSR-D-0234"; $0.category = .regulatory; $0.strength = .mandatory
                $0.scope = .with { $0.allProducts = true }
                $0.firstVersion = version("1.0", from: "2024-10-01", rules: [
                    .with { $0.signature = .with { $0.meaning = .approved; $0.role = "inspector"; $0.certification = "certified-quality-inspector" } },
                    .with { $0.dualSignature = .with { $0.meaning = .reviewed; $0.firstRole = "inspector"; $0.secondRole = "quality-manager" } },
                ])
            })
        }
    }

    /// The people who sign, with test keys.
    static func seedSignatories(_ stack: ServiceStack) async throws {
        try await stack.evidence(as: "quality-manager") { client in
            for (principal, name, key) in [
                ("inspector", "Kim Inspector", inspectorKey), ("quality-manager", "Dana Reyes", managerKey),
                ("quality-engineer", "Sam Supplier-Rep", supplierRepKey), ("operator", "Olu Operator", operatorKey),
            ] {
                _ = try await client.registerSignatory(.with { $0.principal = principal; $0.printedName = name; $0.publicKeyPem = key.publicKeyPEM })
            }
            _ = try await client.grantQualification(.with {
                $0.principal = "inspector"
                $0.qualification = .with { $0.kind = .role; $0.name = "inspector"; $0.validFrom = "2024-01-01" }
            })
            _ = try await client.grantQualification(.with {
                $0.principal = "quality-manager"
                $0.qualification = .with { $0.kind = .role; $0.name = "quality-manager"; $0.validFrom = "2024-01-01" }
            })
            _ = try await client.grantQualification(.with {
                $0.principal = "quality-engineer"
                $0.qualification = .with { $0.kind = .role; $0.name = "supplier-quality-representative"; $0.validFrom = "2024-01-01" }
            })
            // The operator is an inspector too, but not a certified one.
            _ = try await client.grantQualification(.with {
                $0.principal = "operator"
                $0.qualification = .with { $0.kind = .role; $0.name = "inspector"; $0.validFrom = "2024-01-01" }
            })
        }
    }

    static func certifyInspector(_ stack: ServiceStack, from: String = "2024-01-01", to: String = "") async throws {
        try await stack.evidence(as: "quality-manager") { client in
            _ = try await client.grantQualification(.with {
                $0.principal = "inspector"
                $0.qualification = .with {
                    $0.kind = .certification; $0.name = "certified-quality-inspector"; $0.validFrom = from; $0.validTo = to; $0.reference = "CQI-2291"
                }
            })
        }
    }

    /// Uploads `content` in chunks of `chunkSize`.
    static func upload(
        _ client: EvidenceClient, batch: String, kind: Conform_Evidence_V1_EvidenceKind = .document, type: String = "certificate-of-analysis",
        mediaType: String = "application/pdf", metadata: [String: String] = [:], content: Data = pdf, chunkSize: Int = 1 << 20,
        supersedes: UInt64 = 0, reason: String = ""
    ) async throws -> Conform_Evidence_V1_EvidenceItem {
        try await client.upload { writer in
            try await writer.write(.with {
                $0.header = .with {
                    $0.batch = batch; $0.kind = kind; $0.type = type; $0.mediaType = mediaType; $0.fileName = "\(type).bin"
                    $0.metadata = metadata; $0.supersedes = supersedes; $0.correctionReason = reason
                }
            })
            var offset = 0
            while offset < content.count {
                let end = min(offset + chunkSize, content.count)
                try await writer.write(.with { $0.chunk = content.subdata(in: offset..<end) })
                offset = end
            }
        }
    }

    static var fullCoA: [String: String] {
        ["smelter-production-date": "2025-01-03", "material-grade": "10.9", "tensile-strength": "1040 MPa", "chemical-composition": "C 0.35, Mn 0.8"]
    }

    /// Signs `target` as `principal` with that principal's key.
    static func sign(
        _ client: EvidenceClient, target: String, digest: String, meaning: SignatureMeaning, as principal: String
    ) async throws -> Conform_Evidence_V1_Signature {
        let (key, name) = Self.signer(principal)
        let (manifest, signature) = try key.sign(target: target, digest: digest, meaning: meaning, signer: principal, printedName: name)
        return try await client.sign(.with { $0.manifest = manifest; $0.signature = signature })
    }

    static func signer(_ principal: String) -> (SigningKey, String) {
        switch principal {
        case "inspector": return (inspectorKey, "Kim Inspector")
        case "quality-manager": return (managerKey, "Dana Reyes")
        case "quality-engineer": return (supplierRepKey, "Sam Supplier-Rep")
        default: return (operatorKey, "Olu Operator")
        }
    }
}

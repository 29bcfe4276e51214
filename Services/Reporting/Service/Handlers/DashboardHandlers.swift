import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import GRPCCore

/// The wire side of dashboards.
extension ReportingHandlers {
    func getDashboard(request: Conform_Reporting_V1_DashboardRequest, context: ServerContext) async throws -> Conform_Reporting_V1_DashboardResponse {
        let call = try CallContext.required()
        let customer = request.customer.isEmpty ? nil : try FieldRules.code(request.customer, field: "customer", maxLength: 32)
        let product = request.product.isEmpty ? nil : try FieldRules.code(request.product, field: "product", maxLength: 64)
        guard (customer == nil) != (product == nil) else {
            throw DomainError.invalid(field: "customer", reason: "or product: name exactly one, for a customer's dashboard or a product's")
        }
        // A customer's principal sees its own customer's dashboard and nothing else; a
        // product's spans every customer that orders it. Either refusal is audited.
        if let customer {
            try call.requireAccess(toCustomer: customer)
            try await self.checkCustomerExists(customer, call: call)
        } else if let scope = call.principal.customerScope {
            let reason = "\(call.principal.name) acts for customer \(scope) and may not see product \(product ?? ""), which spans every customer that orders it"
            call.audit.about("product:\(product ?? "")")
            throw DomainError.permissionDenied(reason)
        }
        let (active, rows) = try await ComplianceModelStore.active(customer: customer, product: product, in: self.database, logger: call.logger)
        // No batches is a green dashboard only for a product that exists.
        if let product, active.isEmpty { try await self.checkProductExists(product, call: call) }
        let today = Day.today
        let view = DashboardRules.build(active: active, rows: rows, today: today)
        return .with {
            $0.customer = customer ?? ""
            $0.product = product ?? ""
            $0.activeBatches = UInt32(view.activeBatches)
            $0.requirements = view.tallies.map { tally in
                .with {
                    $0.customer = tally.customer
                    $0.requirementID = tally.requirementID
                    $0.mandatory = tally.isMandatory
                    $0.compliant = UInt32(tally.compliant)
                    $0.nonCompliant = UInt32(tally.nonCompliant)
                    $0.waived = UInt32(tally.waived)
                }
            }
            $0.status = switch view.status {
            case "red": .red
            case "amber": .amber
            default: .green
            }
            $0.statusReason = view.reason
            $0.nonCompliant = view.misses.map { miss in
                .with {
                    $0.batch = miss.batch.number
                    $0.customer = miss.requirement.customer
                    $0.product = miss.batch.product
                    $0.requirementID = miss.requirement.requirementID
                    $0.mandatory = miss.requirement.isMandatory
                    $0.missing = miss.requirement.missing
                    $0.daysOverdue = UInt32(miss.daysOverdue)
                }
            }
            $0.pending = UInt32(view.pending)
            $0.evaluatedOn = today.description
        }
    }
}

import ConformProtos

// Domain values to and from their wire messages.

extension Industry {
    /// Nil for an unspecified or unknown industry, which validation refuses by name.
    init?(_ message: Conform_Requirement_V1_Industry) {
        switch message {
        case .automotive: self = .automotive
        case .aerospace: self = .aerospace
        case .medicalDevice: self = .medicalDevice
        case .other: self = .other
        case .unspecified, .UNRECOGNIZED: return nil
        }
    }

    var message: Conform_Requirement_V1_Industry {
        switch self {
        case .automotive: return .automotive
        case .aerospace: return .aerospace
        case .medicalDevice: return .medicalDevice
        case .other: return .other
        }
    }
}

extension Conform_Requirement_V1_Customer {
    init(_ customer: Customer) {
        self = .with {
            $0.code = customer.code
            $0.name = customer.name
            $0.industry = customer.industry.message
            $0.contacts = customer.contacts.map { contact in
                .with {
                    $0.name = contact.name
                    $0.email = contact.email
                    $0.role = contact.role
                }
            }
            $0.notes = customer.notes
            $0.createdAtMicros = customer.createdAtMicros
            $0.createdBy = customer.createdBy
        }
    }
}

extension Conform_Requirement_V1_Product {
    init(_ product: Product) {
        self = .with {
            $0.code = product.code
            $0.name = product.name
            $0.family = product.family
            $0.description_p = product.description
            $0.createdAtMicros = product.createdAtMicros
            $0.createdBy = product.createdBy
        }
    }
}

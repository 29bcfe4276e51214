import ArgumentParser

/// `conform`: the command-line client for people and scripts.
@main
struct ConformCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conform",
        abstract: "Conform: every customer's requirements, enforced and proven.",
        discussion: """
            Talks to the services over the Conform wire with mutual TLS, as the principal named by \
            --as (a certificate in --tls-dir). Tables by default; --json for scripts. Settings also \
            come from the environment: CONFORM_TLS_DIR, CONFORM_PRINCIPAL, CONFORM_HOST, \
            CONFORM_<SERVICE>_ADDRESS.
            """,
        subcommands: [
            CustomerCommand.self, ProductCommand.self, RequirementCommand.self, ValidationCommand.self, ReviewCommand.self,
            OrderCommand.self, BatchCommand.self, EvidenceCommand.self, SupplierCommand.self, ReceiptCommand.self, ReportingCommand.self, AlertCommand.self, ExportCommand.self, SignatoryCommand.self, SignCommand.self, SignatureCommand.self,
            AuditCommand.self, HealthCommand.self, CertsCommand.self, DatabaseCommand.self,
        ]
    )
}

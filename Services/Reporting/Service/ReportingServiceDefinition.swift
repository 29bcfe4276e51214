public import ConformService
import ConformProtos
import Logging
import ServiceLifecycle

/// The services whose feeds the read model reads.
enum ReportingSources {
    static let all: [PeerService] = [.requirement, .batch, .evidence, .supplier]
}

extension ServiceDefinition {
    /// The reporting service: a read model fed from the other four services' event feeds.
    public static let reporting: ServiceDefinition = {
        let problems = FeedProblems()
        return ServiceDefinition(
            name: "reporting",
            ports: Ports(wire: 7105, grpc: 7205, metrics: 7305),
            migrations: ReportingMigrations.all,
            accessPolicy: ReportingAccessPolicy.policy,
            grpcServiceNames: [Conform_Reporting_V1_ReportingService.descriptor.fullyQualifiedService],
            peers: ReportingSources.all,
            makeHandlers: { resources in [ReportingHandlers(database: resources.database, problems: problems)] },
            makeBackground: { resources in
                let consumers: [any Service] = ReportingSources.all.map { source in
                    FeedConsumer(
                        source: source, database: resources.database, peers: resources.peers, problems: problems,
                        logger: {
                            var logger = resources.logger
                            logger[metadataKey: "feed"] = "\(source.rawValue)"
                            return logger
                        }()
                    )
                }
                return consumers + [ComplianceRefresher(database: resources.database, peers: resources.peers, logger: resources.logger)]
            }
        )
    }()
}

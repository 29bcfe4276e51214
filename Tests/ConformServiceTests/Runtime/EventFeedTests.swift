import ConformProtos
import GRPCCore
import ConformService
import Prometheus
import RequirementService
import Testing

@Suite("Event feed (outbox)", .timeLimit(.minutes(5)))
struct EventFeedTests {
    @Test("events come in commit order and a consumer resumes after its cursor")
    func orderAndResume() async throws {
        try await withRequirementService(suite: "feed") { service in
            try await service.requirement { client in
                _ = try await client.createCustomer(CustomerTests.customerA())
                _ = try await client.createProduct(.with { $0.code = "ABC"; $0.name = "Bracket" })
            }
            let first = try await service.events()
            try #require(first.count == 2, "\(first.map(\.type))")
            #expect(first.map(\.type) == ["customer.created", "product.created"])
            #expect(first.map(\.subject) == ["customer:A", "product:ABC"])
            #expect(first.allSatisfy { $0.service == "requirement" && $0.occurredAtMicros > 0 })
            #expect(first[0].payloadJson.contains("\"code\":\"A\""))

            try await service.requirement { client in
                _ = try await client.createCustomer(.with { $0.code = "B"; $0.name = "Customer B"; $0.industry = .aerospace })
            }
            let resumed = try await service.events(after: first[1].cursor)
            try #require(resumed.count == 1)
            #expect(resumed.map(\.subject) == ["customer:B"])
            #expect(try await service.events(after: resumed[0].cursor).isEmpty)
        }
    }

    @Test("concurrent writes all reach the feed, each once, in increasing cursor order")
    func concurrentWrites() async throws {
        try await withRequirementService(suite: "feedrace") { service in
            try await service.requirement { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<20 {
                        group.addTask {
                            _ = try await client.createCustomer(.with { $0.code = "C\(index)"; $0.name = "Customer \(index)"; $0.industry = .other })
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let events = try await service.events()
            #expect(events.count == 20)
            #expect(Set(events.map(\.subject)).count == 20)
            let cursors = events.compactMap { Int64($0.cursor) }
            #expect(cursors == cursors.sorted() && Set(cursors).count == cursors.count)
        }
    }

    @Test("a live subscriber receives an event written after it subscribed")
    func liveDelivery() async throws {
        try await withRequirementService(suite: "feedlive") { service in
            let received = try await service.withClient(tls: try ServicePKI.shared().principal("reporting").wireClient()) { client in
                try await Conform_Events_V1_EventFeed.Client(wrapping: client).subscribe(.init()) { response in
                    try await service.requirement { client in _ = try await client.createCustomer(CustomerTests.customerA()) }
                    for try await event in response.messages { return event.subject }
                    return ""
                }
            }
            #expect(received == "customer:A")
        }
    }

    @Test("a subscription its consumer abandons ends on the server too")
    func abandonedSubscriptionEnds() async throws {
        // Its own service name keeps its metrics apart from the suites running beside it.
        var definition = ServiceDefinition.requirement
        definition.name = "requirement-feedgone"
        try await withRequirementService(suite: "feedgone", definition: definition) { service in
            try await service.requirement { client in _ = try await client.createCustomer(CustomerTests.customerA()) }
            try await service.withClient(tls: try ServicePKI.shared().principal("reporting").wireClient()) { client in
                try await Conform_Events_V1_EventFeed.Client(wrapping: client).subscribe(.init()) { response in
                    for try await _ in response.messages { break }
                }
            }
            // The handler's end is counted by the metrics interceptor, whatever its status.
            let finished = "service=\"requirement-feedgone\",method=\"conform.events.v1.EventFeed/Subscribe\""
            let deadline = ContinuousClock.now + .seconds(5)
            while !TestMetrics.registry.emitToString().contains(finished), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(TestMetrics.registry.emitToString().contains(finished))
        }
    }

    @Test("a cursor the feed never gave out is refused")
    func badCursor() async throws {
        try await withRequirementService(suite: "feedbad") { service in
            let error = await #expect(throws: RPCError.self) { try await service.events(after: "yesterday") }
            #expect(error?.code == .invalidArgument)
        }
    }

    @Test("a quality engineer may not read the feed")
    func feedNeedsRole() async throws {
        try await withRequirementService(suite: "feedrole") { service in
            try await service.withClient(tls: try ServicePKI.shared().principal("quality-engineer").wireClient()) { client in
                let error = await #expect(throws: RPCError.self) {
                    try await Conform_Events_V1_EventFeed.Client(wrapping: client).subscribe(.with { $0.stopAtEnd = true }) { response in
                        for try await _ in response.messages {}
                    }
                }
                #expect(error?.code == .permissionDenied)
            }
        }
    }
}

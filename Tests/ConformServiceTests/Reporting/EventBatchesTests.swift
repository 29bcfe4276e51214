@testable import ReportingService
import Testing

@Suite("Feed events applied in batches (no database)", .timeLimit(.minutes(1)))
struct EventBatchesTests {
    static func event(_ cursor: Int) -> FeedEvent {
        FeedEvent(source: "batch", cursor: "\(cursor)", type: "batch.created", subject: "batch:B\(cursor)", payloadJSON: "{}", occurredAtMicros: 0)
    }

    @Test("events that arrive while the applier is busy are taken together, in order, each once")
    func takenTogether() async {
        let batches = EventBatches(capacity: 10)
        for cursor in 1...4 { #expect(await batches.add(Self.event(cursor))) }
        #expect(await batches.take()?.map(\.cursor) == ["1", "2", "3", "4"])
        #expect(await batches.add(Self.event(5)))
        batches.finish()
        #expect(await batches.take()?.map(\.cursor) == ["5"])
        #expect(await batches.take() == nil)
    }

    @Test("a reader ahead by the capacity waits until the applier takes")
    func bounded() async {
        let batches = EventBatches(capacity: 3)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for cursor in 1...7 { _ = await batches.add(Self.event(cursor)) }
                batches.finish()
            }
            var taken: [String] = []
            while let events = await batches.take() {
                #expect(events.count <= 3)
                taken += events.map(\.cursor)
            }
            #expect(taken == (1...7).map { "\($0)" })
        }
    }

    @Test("when the applier fails, a reader waiting for room stops instead of waiting for ever")
    func closedReaderStops() async {
        let batches = EventBatches(capacity: 1)
        #expect(await batches.add(Self.event(1)))
        async let second = batches.add(Self.event(2))
        batches.close()
        #expect(await second == false)
        #expect(await batches.add(Self.event(3)) == false)
    }
}

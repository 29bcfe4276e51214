import Foundation

/// How a Conform wire client connects, reconnects and bounds its waits.
public struct WireClientConfig: Sendable {
    public var connection: WireConnectionConfig
    /// How long one TCP connect may take before the attempt fails.
    public var connectTimeout: Duration
    public var backoff: Backoff

    /// Waits between failed connection attempts: exponential, with jitter, capped.
    public struct Backoff: Sendable {
        public var initial: Duration
        public var maximum: Duration
        public var multiplier: Double
        /// Each wait is randomly up to this fraction shorter or longer.
        public var jitter: Double

        public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5), multiplier: Double = 1.6, jitter: Double = 0.2) {
            self.initial = initial
            self.maximum = maximum
            self.multiplier = multiplier
            self.jitter = jitter
        }

        /// The wait before attempt number `attempt` (1 for the first retry).
        func delay(forAttempt attempt: Int) -> Duration {
            let base = Double(self.initial.components.seconds) + Double(self.initial.components.attoseconds) / 1e18
            let cap = Double(self.maximum.components.seconds) + Double(self.maximum.components.attoseconds) / 1e18
            let grown = base * pow(self.multiplier, Double(max(0, attempt - 1)))
            let jittered = min(cap, grown * Double.random(in: (1 - self.jitter)...(1 + self.jitter)))
            return .milliseconds(Int64(max(0, jittered) * 1000))
        }
    }

    public init(
        connection: WireConnectionConfig = WireConnectionConfig(),
        connectTimeout: Duration = .seconds(5),
        backoff: Backoff = Backoff()
    ) {
        self.connection = connection
        self.connectTimeout = connectTimeout
        self.backoff = backoff
    }
}

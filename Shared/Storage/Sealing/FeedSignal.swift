/// The PostgreSQL notification channel that says a schema's feed has new positions.
public enum FeedSignal {
    /// e.g. "conform_feed_requirement": schemas share a database, channels are per database.
    public static func channel(schema: String) -> String {
        "conform_feed_\(schema)"
    }
}

public import Crypto
public import Foundation

/// What a release decision rested on, as the evidence service holds it: the batch's current
/// evidence items and the signatures on the batch and on those items. The batch service
/// computes it from what it evaluated; the evidence service computes it again when it takes
/// the release signature, and refuses when they differ (an item added, superseded or signed
/// in between), so a release never stands on evidence its decision did not see.
public enum ReleaseBasis {
    /// "sha256:<hex>" over the sorted ids.
    public static func fingerprint(items: [Int64], signatures: [Int64]) -> String {
        let text = "conform-release-basis/1\nitems:" + items.sorted().map(String.init).joined(separator: ",")
            + "\nsignatures:" + signatures.sorted().map(String.init).joined(separator: ",") + "\n"
        return "sha256:" + Hex.lowercase(SHA256.hash(data: Data(text.utf8)))
    }
}

import ConformDomain
import GRPCCore

/// The rules of a release that are not compliance: what its manifest must say, and which of
/// the evidence service's refusals end it.
enum ReleaseRules {
    /// A release is the caller's own "approved" signature of the batch record as it is now.
    static func checkManifest(_ manifest: SignatureManifest, batch: String, digest: String, caller: String) throws {
        guard manifest.target == "batch:\(batch)", manifest.meaning == .approved else {
            throw DomainError.invalid(field: "manifest", reason: "a release is signed 'approved' on batch:\(batch) with digest \(digest)")
        }
        guard manifest.digest == digest else {
            throw DomainError.failedPrecondition(
                "the signed digest \(manifest.digest) is not batch:\(batch)'s current digest \(digest): the record changed since it was signed; read it again and sign what it is now"
            )
        }
        guard manifest.signer == caller else {
            throw DomainError.notEligible("the release is signed by \(manifest.signer), but you are \(caller); release with your own signature")
        }
    }

    /// Whether the evidence service's refusal of the release signature is one no retry of the
    /// same manifest can change (its freshness passed, the evidence changed, the signer may
    /// not sign): then the release is abandoned. Anything else (the service away, a timeout)
    /// leaves it to be signed later.
    static func refusesForGood(_ code: RPCError.Code) -> Bool {
        switch code {
        case .failedPrecondition, .permissionDenied, .invalidArgument, .notFound, .alreadyExists, .outOfRange:
            return true
        default:
            return false
        }
    }

    static func abandonedMessage(_ release: PendingRelease) -> String {
        "release \(release.id) of batch \(release.batch) was abandoned and the batch is open again: \(release.problem); "
            + "check the batch's compliance and release it with a new signature"
    }
}

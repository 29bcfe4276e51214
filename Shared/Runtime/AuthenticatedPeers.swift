import ConformWire
import NIOCore
import NIOSSL
import Synchronization
import X509

/// The client certificate of every HTTP/2 connection that completed its handshake, by its
/// two addresses. The HTTP/2 transport reads a call's certificate from the connection when
/// the call starts; a call still queued when its connection dies would otherwise look
/// certificate-less, and be recorded as an anonymous refusal although its caller was
/// authenticated.
enum AuthenticatedPeers {
    private struct Entry {
        let connection: ObjectIdentifier
        let certificate: Certificate
    }

    /// How long a closed connection's certificate stays known, for calls it left behind.
    private static let retention = TimeAmount.seconds(60)
    private static let entries = Mutex([String: Entry]())

    /// Records the certificate of a connection whose TLS handshake just completed.
    static func record(_ channel: any Channel) {
        guard let peer = try? channel.pipeline.syncOperations.nioSSL_peerCertificate(),
            let certificate = try? Certificate(derEncoded: try peer.toDERBytes())
        else { return }
        let key = self.key(local: PeerDescription.describe(channel.localAddress), remote: PeerDescription.describe(channel.remoteAddress))
        let connection = ObjectIdentifier(channel)
        self.entries.withLock { $0[key] = Entry(connection: connection, certificate: certificate) }
        let eventLoop = channel.eventLoop
        channel.closeFuture.whenComplete { _ in
            eventLoop.scheduleTask(in: self.retention) {
                self.entries.withLock { entries in
                    if entries[key]?.connection == connection {
                        entries.removeValue(forKey: key)
                    }
                }
            }
        }
    }

    /// The certificate the connection between these two addresses authenticated with.
    static func certificate(local: String, remote: String) -> Certificate? {
        self.entries.withLock { $0[self.key(local: local, remote: remote)]?.certificate }
    }

    private static func key(local: String, remote: String) -> String {
        "\(local)|\(remote)"
    }
}

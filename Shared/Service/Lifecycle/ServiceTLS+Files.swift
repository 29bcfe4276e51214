public import ConformRuntime
import Foundation

extension ServiceTLS {
    /// Reads `ca.pem`, `<name>.pem` and `<name>-key.pem` from `directory`, the layout
    /// `conform certs init` writes.
    public static func load(from directory: String, service name: String) throws -> ServiceTLS {
        func read(_ file: String) throws -> String {
            let path = (directory as NSString).appendingPathComponent(file)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigurationError("cannot read \(path): make the certificates with 'conform certs init --dir \(directory)' or point --tls-dir / CONFORM_TLS_DIR at them")
            }
            return text
        }
        return ServiceTLS(
            certificateChainPEM: try read("\(name).pem"),
            privateKeyPEM: try read("\(name)-key.pem"),
            trustRootsPEM: try read("ca.pem")
        )
    }
}

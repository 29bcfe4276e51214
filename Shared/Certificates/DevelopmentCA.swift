import Crypto
public import Foundation
public import SwiftASN1
public import X509

/// A certificate authority for development and tests: it issues the certificates that
/// services and principals present to each other over mutual TLS.
///
/// Keys are P-256 and made fresh every time; nothing here is meant to be committed.
public struct DevelopmentCA: Sendable {
    public let certificate: Certificate
    private let privateKey: Certificate.PrivateKey

    /// A new self-signed root.
    public init(commonName: String = "Conform Development CA", validFor validity: TimeInterval = 365 * 86_400) throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("Conform")
            CommonName(commonName)
        }
        let now = Date()
        self.certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(validity),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                // keyCertSign is what lets BoringSSL accept this as its own trust root.
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
            },
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        self.privateKey = Certificate.PrivateKey(key)
    }

    /// Loads a CA from its PEM certificate and PEM private key.
    public init(certificatePEM: String, privateKeyPEM: String) throws {
        self.certificate = try Certificate(pemEncoded: certificatePEM)
        self.privateKey = try Certificate.PrivateKey(pemEncoded: privateKeyPEM)
    }

    public var certificatePEM: String {
        get throws { try self.certificate.serializeAsPEM().pemString }
    }

    public var privateKeyPEM: String {
        get throws { try self.privateKey.serializeAsPEM().pemString }
    }

    /// What an issued certificate may be used for.
    public enum Usage: Sendable {
        /// A service: serves TLS, and calls other services as a client.
        case service
        /// A person's or program's client identity only.
        case client
    }

    /// Issues a leaf certificate.
    ///
    /// - Parameters:
    ///   - commonName: the subject's name, e.g. the service or principal name.
    ///   - organizationalUnits: extra subject OU attributes (e.g. roles).
    ///   - dnsNames: host names a service answers to.
    ///   - ipAddresses: IPv4 or IPv6 addresses a service answers on, in text form.
    public func issue(
        commonName: String,
        organizationalUnits: [String] = [],
        dnsNames: [String] = [],
        ipAddresses: [String] = [],
        usage: Usage,
        validFor validity: TimeInterval = 90 * 86_400,
        notBefore: Date = Date().addingTimeInterval(-300)
    ) throws -> IssuedCertificate {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("Conform")
            for unit in organizationalUnits {
                OrganizationalUnitName(unit)
            }
            CommonName(commonName)
        }
        var names: [GeneralName] = dnsNames.map { .dnsName($0) }
        for address in ipAddresses {
            guard let bytes = Self.ipAddressBytes(address) else {
                throw DevelopmentCAError("'\(address)' is not an IPv4 or IPv6 address")
            }
            names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
        }
        let purposes: [ExtendedKeyUsage.Usage] = usage == .service ? [.serverAuth, .clientAuth] : [.clientAuth]
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: notBefore,
            notValidAfter: notBefore.addingTimeInterval(validity),
            issuer: self.certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(purposes)
                if !names.isEmpty {
                    SubjectAlternativeNames(names)
                }
                AuthorityKeyIdentifier(keyIdentifier: try self.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: self.privateKey
        )
        return IssuedCertificate(certificate: certificate, privateKeyPEM: key.pemRepresentation)
    }

    private static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

/// A certificate and its private key, as issued.
public struct IssuedCertificate: Sendable {
    public let certificate: Certificate
    public let privateKeyPEM: String

    public var certificatePEM: String {
        get throws { try self.certificate.serializeAsPEM().pemString }
    }
}

/// A request the development CA cannot fulfil.
public struct DevelopmentCAError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

import ArgumentParser
import ConformProtos
import ConformDomain
import Crypto
import Foundation
import GRPCCore

struct EvidenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence",
        abstract: "Evidence of a batch: documents and photos, kept once, checked, tagged, never changed.",
        subcommands: [Upload.self, Download.self, Get.self, List.self]
    )

    /// Media types by file extension, for --media-type's default.
    static let mediaTypes = [
        "pdf": "application/pdf", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "tif": "image/tiff", "tiff": "image/tiff",
        "xml": "application/xml", "json": "application/json", "csv": "text/csv", "txt": "text/plain",
    ]

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attach a file to a batch as a document of a type or a photo of a kind.",
            discussion: """
                Example: conform evidence upload coa.pdf --batch B-2025-0042 --document certificate-of-analysis \\
                  --field smelter-production-date=2025-01-03 --field material-grade=10.9 --field tensile-strength=1040MPa \\
                  --field chemical-composition="C 0.35 Mn 0.8"
                The batch's rules are checked before the file is sent; the file goes in 1 MiB chunks with progress for large files.
                """
        )
        @Argument(help: "The file.") var file: String
        @Option(help: "The batch number.") var batch: String
        @Option(help: "A document of this type, e.g. certificate-of-analysis.") var document: String?
        @Option(help: "A photo of this kind, e.g. ndt.") var photo: String?
        @Option(help: "The media type (default: from the file's extension).") var mediaType: String?
        @Option(help: "Metadata NAME=VALUE (repeatable).") var field: [String] = []
        @Option(help: "The id of the item this one corrects.") var supersedes: UInt64 = 0
        @Option(help: "Why the correction.") var reason: String = ""
        @Flag(help: "Show no progress.") var quiet = false
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            guard (self.document == nil) != (self.photo == nil) else { throw CLIError("give either --document TYPE or --photo KIND") }
            guard let handle = FileHandle(forReadingAtPath: self.file) else { throw CLIError("cannot read \(self.file)") }
            defer { try? handle.close() }
            let size = (try? FileManager.default.attributesOfItem(atPath: self.file)[.size] as? Int) ?? 0
            let ext = (self.file as NSString).pathExtension.lowercased()
            guard let mediaType = self.mediaType ?? EvidenceCommand.mediaTypes[ext] else {
                throw CLIError("cannot tell the media type of '.\(ext)' files; give --media-type")
            }
            let metadata = try pairs(self.field, option: "--field")
            let header = Conform_Evidence_V1_UploadHeader.with {
                $0.batch = self.batch
                $0.kind = self.document != nil ? .document : .photo
                $0.type = self.document ?? self.photo ?? ""
                $0.mediaType = mediaType
                $0.fileName = (self.file as NSString).lastPathComponent
                $0.metadata = metadata
                $0.supersedes = self.supersedes
                $0.correctionReason = self.reason
            }
            let progress = UploadProgress(total: size, enabled: !self.quiet && size >= 8 << 20)
            let item = try await SignatoryCommand.call(self.connection) { client in
                try await client.upload(metadata: self.connection.metadata(), options: self.longCall()) { writer in
                    try await writer.write(.with { $0.header = header })
                    var sent = 0
                    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                        try await writer.write(.with { $0.chunk = chunk })
                        sent += chunk.count
                        progress.show(sent)
                    }
                }
            }
            if self.connection.json { return try printJSON([item], asList: false) }
            print("Attached \(item.type) #\(item.id) to batch \(item.batch): \(item.size) bytes, sha256 \(item.sha256)")
            if !item.concerns.isEmpty { print("Evidence for: \(item.concerns.joined(separator: ", "))") }
            let awaiting = item.concerns.filter { !item.satisfies.contains($0) }
            if !item.satisfies.isEmpty { print("Satisfies on its own: \(item.satisfies.joined(separator: ", "))") }
            if !awaiting.isEmpty {
                print("Not yet satisfying \(awaiting.joined(separator: ", ")): 'conform batch compliance \(item.batch)' says what is missing (a signature on it, more items)")
            }
        }

        /// A large file takes longer than --timeout: allow a minute per 100 MB more.
        private func longCall() -> CallOptions {
            var options = self.connection.callOptions()
            options.timeout = .seconds(Int64(self.connection.timeout) + 600)
            return options
        }
    }

    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download an item, checked against its SHA-256; a mismatch keeps nothing.")
        @Argument(help: "The item's id.") var id: UInt64
        @Option(help: "Where to write it.") var out: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let partial = self.out + ".part"
            guard FileManager.default.createFile(atPath: partial, contents: nil), let handle = FileHandle(forWritingAtPath: partial) else {
                throw CLIError("cannot write \(partial)")
            }
            let (item, digest) = try await SignatoryCommand.call(self.connection) { client in
                try await client.download(.with { $0.id = self.id }, metadata: self.connection.metadata(), options: self.connection.callOptions()) { response in
                    var hasher = SHA256()
                    var item: Conform_Evidence_V1_EvidenceItem?
                    for try await message in response.messages {
                        switch message.part {
                        case .item(let value)?: item = value
                        case .chunk(let data)?:
                            hasher.update(data: data)
                            try handle.write(contentsOf: data)
                        case nil: break
                        }
                    }
                    return (item, Hex.lowercase(hasher.finalize()))
                }
            }
            try handle.close()
            guard let item, item.sha256 == digest else {
                try? FileManager.default.removeItem(atPath: partial)
                throw CLIError("the download of item \(self.id) does not match its SHA-256; nothing was kept. Try again; if it persists the store is damaged")
            }
            try? FileManager.default.removeItem(atPath: self.out)
            try FileManager.default.moveItem(atPath: partial, toPath: self.out)
            if self.connection.json { return try printJSON([item], asList: false) }
            print("Wrote \(self.out): \(item.size) bytes, sha256 \(digest) (verified)")
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an item: what it is, its hash, what it is evidence for, its corrections.")
        @Argument(help: "The item's id.") var id: UInt64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let item = try await SignatoryCommand.call(self.connection) { client in
                try await client.getItem(.with { $0.id = self.id }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            if self.connection.json { return try printJSON([item], asList: false) }
            print(EvidenceCommand.table([item]))
            if !item.metadata.isEmpty { print("Metadata: " + item.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")) }
            if item.supersedes > 0 { print("Corrects #\(item.supersedes): \(item.correctionReason)") }
            if item.supersededBy > 0 { print("Superseded by #\(item.supersededBy)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a batch's evidence.")
        @Option(help: "The batch number.") var batch: String
        @Flag(help: "Superseded items too: the history of corrections.") var history = false
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            // A batch's evidence is shown whole, every page of it.
            let (items, _) = try await collectPages(after: "", all: true) { token in
                let page = try await SignatoryCommand.call(self.connection) { client in
                    try await client.listItems(
                        .with { $0.batch = self.batch; $0.includeSuperseded = self.history; $0.pageSize = 500; $0.pageToken = token },
                        metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                }
                return (page.items, page.nextPageToken)
            }
            if self.connection.json { return try printJSON(items, asList: true) }
            print(EvidenceCommand.table(items))
        }
    }

    static func table(_ items: [Conform_Evidence_V1_EvidenceItem]) -> String {
        var table = Table("ID", "KIND", "TYPE", "MEDIA", "BYTES", "SHA-256", "BY", "AT", "EVIDENCE FOR", "STATE")
        for item in items {
            table.add("\(item.id)", item.kind == .photo ? "photo" : "document", item.type, item.mediaType, "\(item.size)", String(item.sha256.prefix(12)),
                      item.uploadedBy, formatMicros(item.uploadedAtMicros), item.concerns.joined(separator: ", "),
                      item.supersededBy > 0 ? "superseded by #\(item.supersededBy)" : "current")
        }
        return table.render()
    }
}

/// Upload progress on standard error, every 10%.
final class UploadProgress: @unchecked Sendable {
    private let total: Int
    private let enabled: Bool
    private var shown = 0

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func show(_ sent: Int) {
        guard self.enabled, self.total > 0 else { return }
        let percent = sent * 100 / self.total
        guard percent >= self.shown + 10 || sent == self.total else { return }
        self.shown = percent
        FileHandle.standardError.write(Data("upload: \(sent >> 20) of \(self.total >> 20) MiB (\(percent)%)\n".utf8))
    }
}

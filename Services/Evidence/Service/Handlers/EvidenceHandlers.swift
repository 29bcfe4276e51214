import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import Crypto
import Foundation
import GRPCCore
import NIOCore

/// The wire side of the evidence service: items and their content, signatories, signatures.
struct EvidenceHandlers: Conform_Evidence_V1_EvidenceService.SimpleServiceProtocol {
    /// The largest chunk an upload may send.
    static let maxChunkBytes = 1 << 20
    /// The largest item (CONFORM_MAX_UPLOAD_BYTES, default 4 GiB).
    let maxItemBytes: Int64
    let database: Database
    let peers: Peers
    let writes: Writes

    init(resources: ServiceResources) {
        self.maxItemBytes = EvidenceSettings.resolved(resources.settings).maxItemBytes
        self.database = resources.database
        self.peers = resources.peers
        self.writes = Writes(database: resources.database)
    }

    func upload(
        request: RPCAsyncSequence<Conform_Evidence_V1_UploadRequest, any Error>,
        context: ServerContext
    ) async throws -> Conform_Evidence_V1_EvidenceItem {
        let call = try CallContext.required()
        var messages = request.makeAsyncIterator()
        guard case .header(let header)? = try await messages.next()?.part else {
            throw DomainError.invalid(field: "header", reason: "must come first in an upload: it names the batch and what the item is")
        }
        let description = try ItemRules.validate(
            batch: header.batch, kind: EvidenceKind(header.kind), type: header.type, mediaType: header.mediaType,
            fileName: header.fileName, metadata: header.metadata, supersedes: header.supersedes == 0 ? nil : Int64(header.supersedes),
            correctionReason: header.correctionReason
        )
        // Everything that can be refused is refused before the content is sent.
        let checklist = try await self.checklist(of: description.batch)
        try ItemRules.check(description, against: checklist)
        if let corrected = description.supersedes {
            guard let original = try await ItemStore.find(corrected, in: self.database, logger: call.logger), original.description.batch == description.batch else {
                throw DomainError.notFound("batch \(description.batch) has no evidence item \(corrected) to correct")
            }
        }
        let uploader = try await SignatoryStore.find(call.principal.name, in: self.database, logger: call.logger)

        let upload = UUID().uuidString.lowercased()
        do {
            var hasher = SHA256()
            var size: Int64 = 0
            var chunks = 0
            var head: [UInt8] = []
            while let message = try await messages.next() {
                guard case .chunk(let data)? = message.part else {
                    throw DomainError.invalid(field: "header", reason: "comes once, first; after it only content chunks may follow")
                }
                guard data.count <= Self.maxChunkBytes else {
                    throw DomainError.invalid(field: "chunk", reason: "is \(data.count) bytes; send chunks of at most \(Self.maxChunkBytes)")
                }
                if data.isEmpty { continue }
                if head.count < MediaTypes.headLength {
                    head += data.prefix(MediaTypes.headLength - head.count)
                    if head.count == MediaTypes.headLength {
                        try MediaTypes.check(declared: description.mediaType, head: head, fileName: description.fileName)
                    }
                }
                size += Int64(data.count)
                guard size <= self.maxItemBytes else {
                    throw DomainError.invalid(field: "chunk", reason: "takes the item past \(self.maxItemBytes) bytes, the most one item may hold here; split the content into several items")
                }
                hasher.update(data: data)
                try await ContentStore.stage(upload: upload, seq: chunks, data: ByteBuffer(data: data), in: self.database, logger: call.logger)
                chunks += 1
            }
            if head.count < MediaTypes.headLength {
                try MediaTypes.check(declared: description.mediaType, head: head, fileName: description.fileName)
            }
            let sha256 = Hex.lowercase(hasher.finalize())
            let certifications = uploader?.certifications(on: Day.today) ?? []
            let satisfies = ItemRules.satisfies(description, uploaderCertifications: certifications, in: checklist)
            let concerns = ItemRules.concerns(description, in: checklist)
            let (totalSize, chunkCount) = (size, chunks)
            let stored = try await self.writes.write { transaction in
                // The batch may have been released since its checklist said open.
                try await ReleaseSealStore.lock(batch: description.batch, on: transaction.connection, logger: transaction.logger)
                try await ReleaseSealStore.checkUnsealed(batch: description.batch, on: transaction.connection, logger: transaction.logger)
                _ = try await ContentStore.commit(
                    upload: upload, sha256: sha256, size: totalSize, chunks: chunkCount, on: transaction.connection, logger: transaction.logger
                )
                let item = try await ItemStore.insert(
                    description, sha256: sha256, size: totalSize, satisfies: satisfies, concerns: concerns, uploadedBy: transaction.call.principal.name,
                    uploaderCertifications: certifications, on: transaction.connection, logger: transaction.logger
                )
                let message = item.message
                try await transaction.recordCreation(of: message, object: "evidence:\(item.id)", event: "evidence.attached")
                return message
            }
            call.logger.info("evidence stored", metadata: ["item": "\(stored.id)", "batch": "\(stored.batch)", "bytes": "\(size)"])
            return stored
        } catch {
            do {
                try await ContentStore.discard(upload: upload, in: self.database, logger: call.logger)
            } catch let cleanup {
                call.logger.warning("could not drop the chunks of a failed upload", metadata: ["upload": "\(upload)", "error": "\(cleanup)"])
            }
            throw error
        }
    }

    func download(
        request: Conform_Evidence_V1_DownloadRequest,
        response: RPCWriter<Conform_Evidence_V1_DownloadResponse>,
        context: ServerContext
    ) async throws {
        let call = try CallContext.required()
        let item = try await self.item(request.id)
        try await response.write(.with { $0.item = item.message })
        let count = try await ContentStore.chunkCount(sha256: item.sha256, in: self.database, logger: call.logger)
        var hasher = SHA256()
        for seq in 0..<count {
            let chunk = try await ContentStore.chunk(sha256: item.sha256, seq: seq, in: self.database, logger: call.logger)
            let data = Data(chunk.readableBytesView)
            hasher.update(data: data)
            try await response.write(.with { $0.chunk = data })
        }
        let sha256 = Hex.lowercase(hasher.finalize())
        guard sha256 == item.sha256 else {
            call.logger.critical("stored content does not match its hash", metadata: ["item": "\(item.id)", "sha256": "\(item.sha256)", "read": "\(sha256)"])
            throw RPCError(code: .dataLoss, message: "the content of item \(item.id) no longer matches its SHA-256 \(item.sha256); the store is damaged: restore it from backup")
        }
    }

    func getItem(request: Conform_Evidence_V1_GetItemRequest, context: ServerContext) async throws -> Conform_Evidence_V1_EvidenceItem {
        try await self.item(request.id).message
    }

    func listItems(request: Conform_Evidence_V1_ListItemsRequest, context: ServerContext) async throws -> Conform_Evidence_V1_ListItemsResponse {
        let call = try CallContext.required()
        let batch = try FieldRules.code(request.batch, field: "batch", maxLength: 64)
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListItems|\(batch)|\(request.includeSuperseded)", keys: [.integer])
        let rows = try await ItemStore.list(
            batch: batch, includeSuperseded: request.includeSuperseded, after: try page.after(0).map { try Self.itemID($0) }, limit: page.readLimit,
            in: self.database, logger: call.logger
        )
        let (items, next) = page.finish(rows) { [String($0.id)] }
        return .with {
            $0.items = items.map(\.message)
            $0.nextPageToken = next
        }
    }

    /// An item id read back from a page token.
    static func itemID(_ text: String) throws -> Int64 {
        guard let id = Int64(text) else {
            throw DomainError.invalid(field: "page_token", reason: "is not a token this list gave out; pass \"\" for the first page")
        }
        return id
    }

    /// The item `id`, or NOT_FOUND.
    func item(_ id: UInt64) async throws -> EvidenceItem {
        let call = try CallContext.required()
        guard id > 0, let item = try await ItemStore.find(Int64(id), in: self.database, logger: call.logger) else {
            throw DomainError.notFound("no evidence item \(id); ListItems shows a batch's items")
        }
        return item
    }

    /// What the batch service says batch `number` needs.
    func checklist(of number: String) async throws -> Checklist {
        let message = try await self.peers.call(.batch) { client, metadata, options in
            try await Conform_Batch_V1_BatchService.Client(wrapping: client).checklist(
                .with { $0.number = number }, metadata: metadata, options: options
            )
        }
        return try Checklist(message)
    }
}

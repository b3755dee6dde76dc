import Foundation
import Testing

@testable import SwiftPool

/// Frames through shared-memory rings, both ends in this process: an attachment far larger than
/// the ring streams straight into the reader's array, and the stream goes on after it.
@Suite("Shared-memory frame stream")
struct FrameStreamTests {
    /// The two ends of one memory, as rank 0 and a worker hold them.
    private static func ends() throws -> (writer: FrameStream, reader: FrameStream) {
        let memory = try SharedChannelMemory.create()
        return (FrameStream.workerEnd(of: memory), FrameStream.executorEnd(of: memory))
    }

    private static func result(_ values: [Double], id: UInt64) throws -> OutgoingFrame {
        try FrameEncoder.result(values, id: id, what: "a test array")
    }

    /// Writes `frames` from a thread of their own, waiting for room as a worker does.
    private static func sendFromThread(_ frames: [OutgoingFrame], on stream: FrameStream) -> Thread {
        nonisolated(unsafe) let stream = stream
        let thread = Thread {
            var backoff = IdleBackoff.standard()
            for frame in frames { stream.sendNow(frame, backoff: &backoff) }
        }
        thread.start()
        return thread
    }

    private static func decode(_ received: FrameStream.Received) throws -> [Double] {
        try WireDecoder.decode(
            [Double].self, from: UnsafeRawBufferPointer(rebasing: received.frame.bytes[ReplyFrame.payloadOffset...]),
            attachment: received.attachment)
    }

    @Test("an attachment 24 times the ring's size arrives whole, and the next frame after it")
    func largeAttachment() throws {
        let (writer, reader) = try Self.ends()
        let large = (0..<(3 << 20)).map { Double($0) * 0.5 }
        let small: [Double] = [1, 2, 3]
        _ = Self.sendFromThread([try Self.result(large, id: 1), try Self.result(small, id: 2)], on: writer)
        var backoff = IdleBackoff.standard()
        let first = reader.nextFrame(backoff: &backoff)
        #expect(first.attachment?.byteCount() == large.count * 8)
        #expect(try Self.decode(first) == large)
        #expect(first.attachment?.isConsumed == true)
        let second = reader.nextFrame(backoff: &backoff)
        #expect(second.attachment == nil)
        #expect(try Self.decode(second) == small)
    }

    @Test("an attachment nobody reads is dropped, and the frame after it arrives")
    func unreadAttachment() throws {
        let (writer, reader) = try Self.ends()
        let large = [Double](repeating: 7, count: 1 << 20)
        _ = Self.sendFromThread([try Self.result(large, id: 1), try Self.result([4], id: 2)], on: writer)
        var backoff = IdleBackoff.standard()
        let first = reader.nextFrame(backoff: &backoff)
        try first.attachment?.discardIfUnread()
        let second = reader.nextFrame(backoff: &backoff)
        #expect(try FrameHeader.read(from: second.frame.bytes).id == 2)
        #expect(try Self.decode(second) == [4])
    }

    @Test("a writer that ends halfway through an attachment ends the reader's wait")
    func writerGoneMidAttachment() throws {
        let (writer, reader) = try Self.ends()
        // Writes what the ring takes now and never the rest, as a worker killed mid-reply.
        writer.send(try Self.result([Double](repeating: 1, count: 1 << 20), id: 1))
        #expect(writer.hasPendingOutput)
        reader.senderIsGone = { true }
        var backoff = IdleBackoff.standard()
        let received = reader.nextFrame(backoff: &backoff)
        #expect(throws: PeerGone.self) { try Self.decode(received) }
    }
}

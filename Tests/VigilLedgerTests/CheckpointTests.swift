import Crypto
import Foundation
import Testing
import VigilLedger

@Suite("Signed checkpoints")
struct CheckpointTests {
    @Test("verifies the C2SP signed-note example")
    func c2spVector() throws {
        let key = try NoteKey(verifierKey: "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
        let note = "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
        #expect(try key.verify(note: note) == "This is an example message.\n")
        let forged = note.replacingOccurrences(of: "example message", with: "exemplary message")
        #expect(throws: LedgerError.self) { try key.verify(note: forged) }
    }

    @Test("a signed checkpoint round-trips and any edit breaks its signature")
    func signAndVerify() throws {
        let key = NoteKey(name: "vigil.example/log", privateKey: Curve25519.Signing.PrivateKey())
        let checkpoint = Checkpoint(origin: "vigil.example/log", size: 42, root: MerkleHasher.emptyRoot, timestampMillis: 1_700_000_000_000)
        let note = try key.sign(checkpoint.body)
        let body = try key.verify(note: note)
        #expect(try Checkpoint(body: body) == checkpoint)
        let verifier = try NoteKey(verifierKey: key.verifierKey)
        #expect(try verifier.verify(note: note) == body)
        #expect(throws: LedgerError.self) { try verifier.verify(note: note.replacingOccurrences(of: "\n42\n", with: "\n43\n")) }
        let other = NoteKey(name: "vigil.example/log", privateKey: Curve25519.Signing.PrivateKey())
        #expect(throws: LedgerError.self) { try other.verify(note: note) }
    }
}

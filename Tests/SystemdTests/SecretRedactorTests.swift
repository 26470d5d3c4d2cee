import Systemd
import Testing

@Suite("SecretRedactor")
struct SecretRedactorTests {
    @Test("Every occurrence is replaced; longer secrets first; empty secrets ignored")
    func replaces() {
        let redactor = SecretRedactor(secrets: ["abc", "abcdef", ""])
        #expect(redactor.redact("abcdef abc xabcx") == "[REDACTED] [REDACTED] x[REDACTED]x")
        #expect(redactor.redact("nothing here") == "nothing here")
        #expect(redactor.redact("") == "")
    }

    @Test("Secrets can be added and replaced after creation")
    func mutation() {
        let redactor = SecretRedactor()
        #expect(redactor.redact("key-1 key-2") == "key-1 key-2")
        redactor.add(["key-1"])
        #expect(redactor.redact("key-1 key-2") == "[REDACTED] key-2")
        redactor.replaceSecrets(with: ["key-2"])
        #expect(redactor.redact("key-1 key-2") == "key-1 [REDACTED]")
    }

    @Test("Matching is byte-exact UTF-8, including inside multi-byte text")
    func unicode() {
        let redactor = SecretRedactor(secrets: ["pässwörd"])
        #expect(redactor.redact("→pässwörd←") == "→[REDACTED]←")
        #expect(redactor.redact("passwOrd") == "passwOrd")
    }
}

import ChannelKit
import Testing
import WhatsAppChannel

@Suite("WhatsApp factory")
struct FactoryTests {
    @Test("the type, its keys, and which are secret")
    func fields() {
        let factory = WhatsAppChannelFactory()
        #expect(factory.type == "whatsapp")
        #expect(factory.settingFields.map(\.key) == ["access_token", "verify_token", "app_secret", "phone_number_id", "api_version",
                                                       "graph_api_base_url", "appsecret_proof", "max_message_characters", "reengagement_template",
                                                       "reengagement_template_language", "reengagement_template_parameters"])
        #expect(factory.settingFields.filter(\.isSecret).map(\.key) == ["access_token", "verify_token", "app_secret"])
        var registry = ChannelRegistry()
        registry.register(.whatsapp)
        #expect(registry.types == ["whatsapp"])
    }

    @Test("settings that do not fit are misconfigured")
    func misconfigured() {
        for overrides in [["max_message_characters": "0"], ["api_version": "v24.0/x"], ["phone_number_id": "+1 555 0100"],
                          ["graph_api_base_url": "ftp://graph"], ["reengagement_template": "Follow Up"],
                          ["reengagement_template": "follow_up", "reengagement_template_language": "english"],
                          ["reengagement_template": "follow_up", "reengagement_template_parameters": "a||b"]] {
            do {
                _ = try makeChannel(settings(overrides))
                Issue.record("accepted \(overrides)")
            } catch let error as ChannelError {
                #expect(error.code == .misconfigured)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}

/// The reply `SandraBench render` renders: about 4 KB of the Markdown an assistant writes —
/// headings, bullet and numbered lists, bold and italics, links, inline code and a code block,
/// a quote, emoji and non-ASCII text (accents, CJK, a family emoji of several code points).
enum RenderBenchReply {
    static let markdown = """
        # Planning your trip to Lisbon 🇵🇹

        Here is a **complete plan** for your *three days* in Lisbon, with the places you asked about \
        and a few you may not know. Prices are in euros (€) and were right last spring; check the \
        [official tourism site](https://www.visitlisboa.com/en) before you go.

        ## Day 1 — Baixa, Chiado and Alfama

        1. Start at **Praça do Comércio** at 9:00, before the crowds; the arch (*Arco da Rua Augusta*) \
        opens at 10:00 and costs 4 €.
        2. Walk up to **Chiado** for a *pastel de nata* at [Manteigaria](https://manteigaria.com) — \
        warm, with cinnamon. 😋
        3. Take tram 28 to **Alfama**:
           - get on at Martim Moniz, where it starts, to have a seat;
           - keep your bag in front of you (pickpockets love the 28);
           - get off at *Miradouro de Santa Luzia* for the view.
        4. Dinner: fado at a small *casa de fados* — book ahead, most seat 30 people at most.

        ## Day 2 — Belém and the river

        - **Jerónimos Monastery**: 12 € (free on the first Sunday of the month for residents only).
        - **Torre de Belém**: the queue is long; the outside is the best part anyway.
        - *Pastéis de Belém* — the original since 1837; expect to wait 10–15 minutes.
        - In the afternoon, **MAAT** (art, architecture and technology) right on the Tejo.

        > Tip: buy a *Viva Viagem* card (0.50 €) and load it with €10 of "zapping" credit; \
        one ride on the metro costs 1.66 € that way instead of 1.85 €.

        ## Day 3 — Sintra (a day trip)

        Trains leave **Rossio** every 20 minutes; the ride takes about 40 minutes and costs 2.40 € \
        each way. In Sintra:

        1. *Palácio da Pena* — colourful, on a hilltop; take bus 434 up. 🚌
        2. *Quinta da Regaleira* — the initiation well is unforgettable.
        3. Lunch at *Tascantiga*: small plates, good wine, about 20 € per person.

        ## Useful phrases

        | English | Português |
        |---|---|
        | Thank you | Obrigado / Obrigada |
        | The bill, please | A conta, por favor |
        | Where is the station? | Onde fica a estação? |

        ## Your budget, worked out

        If you want to keep track of what you spend, this small script adds it up:

        ```python
        days = {"day 1": [4, 1.6, 25, 40], "day 2": [12, 8, 6.5, 35], "day 3": [4.8, 14, 20, 30]}
        for day, costs in days.items():
            print(f"{day}: {sum(costs):.2f} €")
        print(f"total: {sum(sum(c) for c in days.values()):.2f} €")
        ```

        That comes to about **€200 per person**, without the hotel. Use `round()` if you want whole euros.

        ## Getting around

        - **Metro**: four lines (blue, yellow, green, red); the red one goes to the airport in about \
        20 minutes. Trains run from 6:30 to 1:00.
        - **Trams**: besides the 28, try the *15E* to Belém — modern, and far less crowded.
        - **Funiculars** (*elevadores*): Glória, Bica and Lavra climb the steepest hills; the \
        [Santa Justa lift](https://www.carris.pt/en/) is more of a view than a ride.
        - **Taxis and ride apps**: a ride across the centre costs 6–10 €; at night add 20 %.
        - **By bike**: the riverside path from *Cais do Sodré* to Belém is flat, 7 km long and lovely at sunset.
        - **On foot**: most sights are 15–30 minutes apart, but *every* walk goes uphill both ways. 😅

        ## Before you leave

        - [ ] Check that your passport or ID card is valid for the whole stay
        - [x] Book the fado dinner
        - [ ] Download an offline map (Lisbon's hills confuse GPS in the narrow streets of Alfama)
        - [ ] Pack comfortable shoes — the *calçada* (stone pavements) is slippery when it rains ☔

        A few words for friends you may meet on the way: 你好 (Chinese), こんにちは (Japanese), \
        привет (Russian), مرحبا (Arabic), γειά σου (Greek). Travelling as a family? \
        👨‍👩‍👧‍👦 Most museums have family tickets — ask at the desk.

        ---

        Have a wonderful trip! ✈️ If you want, I can also suggest ***restaurants near your hotel*** \
        or ~~the usual tourist traps~~ better places for the evening. Just tell me the area, for \
        example *Bairro Alto*, *Príncipe Real* or *Cais do Sodré*, and I will send a short list \
        with addresses, prices and opening hours.
        """
}

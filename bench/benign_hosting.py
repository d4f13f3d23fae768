#!/usr/bin/env python3
"""Writes a JSON-lines benign corpus for `haetae eval --benign`: the kinds of
requests hosting customers' sites receive that benign-dev.jsonl has few of,
written for this project from how the software involved sends them —
JavaScript error reports (the message and stack as form *names*, as
`sendBeacon` with a form type posts them), analytics beacons (page URLs,
titles and JSON blobs in parameters, a `sessionid`, linked from the page's
own site or a search engine), chat widgets (visitor state as JSON in cookies,
a `sessionid` posted from the widget vendor's domain), OAuth and login
redirects (URLs inside URLs), GraphQL queries and mutations, WordPress REST
posts with block markup, Korean board posts from an HTML editor (styles,
images, tables, emoticons, prices), developer-board posts with shell, SQL
and JavaScript in `<pre>`, and shop orders with Korean addresses and memos.

    python3 bench/benign_hosting.py > /tmp/hosting.jsonl
    target/release/haetae eval --benign /tmp/hosting.jsonl --misses 50

`--seed N` draws another sample; `N` requests (default 3000).
"""
import argparse
import json
import random
import sys
import urllib.parse

ap = argparse.ArgumentParser()
ap.add_argument("count", nargs="?", type=int, default=3000)
ap.add_argument("--seed", type=int, default=7)
opts = ap.parse_args()
count, seed = opts.count, opts.seed
rnd = random.Random(seed)
q = lambda s: urllib.parse.quote(s, safe="")
qp = lambda s: urllib.parse.quote_plus(s, safe="")
FORM = "application/x-www-form-urlencoded; charset=UTF-8"
UA = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918N Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.102 Mobile Safari/537.36 KAKAOTALK 10.8.5",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 13; SM-A536N) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
]
HOSTS = ["shop.example.kr", "blog.example.com", "cafe.example.co.kr", "clinic.example.kr", "www.example.org"]
KO = [
    "오늘 주문한 상품이 아직 도착하지 않았어요. 배송 조회 부탁드립니다.",
    "사이즈가 생각보다 작아서 교환하고 싶은데 어떻게 하면 되나요?",
    "이벤트 당첨자 발표는 언제 하나요? (12월 15일이라고 들었는데...)",
    "가격이 3,000원~5,000원 사이라고 되어 있는데 옵션마다 다른 건가요?",
    "1+1 행사는 오늘까지인가요? ㅠㅠ 어제 샀는데 아쉽네요",
    "정말 친절하게 상담해 주셔서 감사합니다^^ 다음에 또 방문할게요!",
    "예약 시간을 오후 3시 → 오후 5시로 변경 가능할까요?",
    "회원가입 할 때 '이메일 인증'이 안 돼요. 스팸함에도 없습니다.",
    "A/S 접수는 어디서 하나요? 구입한 지 1년 2개월 됐습니다.",
    "사진처럼 색상이 \"네이비\"가 맞나요, 아니면 블랙에 가까운가요?",
    "ㅋㅋㅋ 후기 보고 샀는데 진짜 좋네요 강추합니다 👍",
    "주차는 건물 지하 1층~2층에 가능하고 2시간 무료입니다.",
    "공지: 12/24(화)~12/26(목) 휴무입니다. 문의는 게시판에 남겨 주세요.",
    "쿠폰 코드 WINTER-2026 을 넣었는데 '사용할 수 없는 쿠폰'이라고 나와요.",
    "50% 할인 + 무료배송 = 최고의 선택! 재고 소진 시 종료됩니다.",
    "안녕하세요, 홈페이지 리뉴얼 견적 문의드립니다. 페이지는 10~15개 정도예요.",
    "답변 감사합니다 :) 말씀하신 대로 캐시 삭제하니 잘 됩니다.",
    "혹시 단체 주문(30개 이상)도 가능한가요? 세금계산서 발행 필요합니다.",
]
EN = [
    "Thanks for the quick reply! The update fixed it.",
    "Is the 2-for-1 offer still on? The page says \"limited time\".",
    "We'd like to book a table for 6 at 7:30 pm on Friday.",
    "The checkout page shows an error after I press 'Pay now'.",
    "Can I change the delivery address? I moved last week.",
    "Great article -- I've been looking for exactly this & more.",
]


def row(cat, method, path, headers, body=""):
    print(json.dumps({"category": cat, "method": method, "path": path, "headers": headers, "body": body}, ensure_ascii=False))


def hdr(host, extra=None, ctype=None):
    h = {"Host": host, "User-Agent": rnd.choice(UA), "Accept-Language": "ko-KR,ko;q=0.9,en-US;q=0.8"}
    if ctype:
        h["Content-Type"] = ctype
    h.update(extra or {})
    return h


def token(n=32, alphabet="abcdef0123456789"):
    return "".join(rnd.choice(alphabet) for _ in range(n))


def page_url(host):
    paths = ["/", "/shop/item.php?it_id=%d" % rnd.randint(1000, 99999), "/bbs/board.php?bo_table=free&wr_id=%d" % rnd.randint(1, 9000),
             "/product/%d/winter-coat" % rnd.randint(1, 500), "/blog/2026/11/%s/" % rnd.choice(["hello-world", "new-menu", "holiday-hours"]),
             "/search?q=%s" % q(rnd.choice(["패딩", "겨울 코트", "gift card", "예약"]))]
    return "https://%s%s" % (host, rnd.choice(paths))


JS_ERRORS = [
    "TypeError: Cannot read properties of undefined (reading 'length')",
    "TypeError: Cannot read properties of null (reading 'addEventListener')",
    "ReferenceError: $ is not defined",
    "TypeError: e.target.closest is not a function",
    "Uncaught SyntaxError: Unexpected token '<'",
    "TypeError: undefined is not an object (evaluating 'window.dataLayer.push')",
    "Script error.",
    "SyntaxError: JSON.parse: unexpected character at line 1 column 1 of the JSON data",
    "TypeError: Failed to fetch",
    "Error: Request failed with status code 500",
    "TypeError: null is not an object (evaluating 'document.querySelector(\"#cart-count\").innerText')",
    "ChunkLoadError: Loading chunk 712 failed. (error: https://cdn.example.net/_next/static/chunks/712.js)",
    "ResizeObserver loop completed with undelivered notifications.",
    "TypeError: Cannot set properties of undefined (setting 'display')",
    "Uncaught (in promise) DOMException: The play() request was interrupted by a call to pause().",
]


def stack(host):
    fn = rnd.choice(["HTMLDocument.<anonymous>", "Object.init", "n.value", "t.render", "Array.forEach (<anonymous>)", "window.onload"])
    return "    at %s (https://%s/js/app.%s.js:%d:%d)\n    at https://%s/js/vendor.min.js:2:%d" % (
        fn, host, token(8), rnd.randint(1, 900), rnd.randint(1, 30000), host, rnd.randint(1000, 90000))


def js_error():
    host = rnd.choice(HOSTS)
    msg = rnd.choice(JS_ERRORS)
    url = page_url(host)
    k = rnd.randint(0, 3)
    if k == 0:
        body = {"message": msg, "stack": msg + "\n" + stack(host), "url": url, "line": rnd.randint(1, 900), "col": rnd.randint(1, 9999),
                "ua": rnd.choice(UA), "ts": 1764600000000 + rnd.randint(0, 10**9)}
        row("js-error", "POST", "/api/client-errors", hdr(host, {"Origin": "https://" + host}, "application/json"), json.dumps(body, ensure_ascii=False))
    elif k == 1:
        # sendBeacon(url, string) with a form type: the whole message is one name.
        row("js-error", "POST", "/log/js", hdr(host, {"Origin": "https://" + host}, FORM), q(msg + " @ " + url))
    elif k == 2:
        blob = json.dumps({"msg": msg, "src": url, "lineno": rnd.randint(1, 900)}, ensure_ascii=False)
        row("js-error", "POST", "/log/js", hdr(host, {"Origin": "https://" + host}, FORM), q(blob))
    else:
        row("js-error", "GET", "/err.gif?m=%s&u=%s&l=%d" % (q(msg), q(url), rnd.randint(1, 900)), hdr(host, {"Referer": url}))


def beacon():
    host = rnd.choice(HOSTS)
    url = page_url(host)
    ref = rnd.choice(["https://www.google.com/", "https://search.naver.com/search.naver?query=" + q("겨울 코트 추천"), "https://" + host + "/", ""])
    title = rnd.choice(["겨울 코트 | 예제샵", "New menu & holiday hours - Example Cafe", "자유게시판 > 글쓰기", "Checkout (2/3)"])
    k = rnd.randint(0, 3)
    if k == 0:
        qs = "v=1&_v=j101&a=%d&t=pageview&_s=1&dl=%s&dr=%s&dt=%s&sd=24-bit&sr=1920x1080&vp=1903x947&je=0&ul=ko-kr&tid=G-%s&cid=%d.%d&sessionid=%s&z=%d" % (
            rnd.randint(10**8, 10**9), q(url), q(ref), q(title), token(10, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"), rnd.randint(10**8, 10**9),
            rnd.randint(10**9, 2 * 10**9), token(16), rnd.randint(10**8, 10**9))
        row("beacon", "GET", "/g/collect?" + qs, hdr("analytics.example.net", {"Referer": url}))
    elif k == 1:
        ev = {"event": rnd.choice(["add_to_cart", "view_item", "scroll", "click"]), "items": [{"id": str(rnd.randint(1, 9999)), "name": "겨울 패딩 (블랙/L)", "price": 89000, "qty": 1}],
              "page": {"url": url, "title": title, "referrer": ref}}
        row("beacon", "POST", "/track", hdr("pixel.example.net", {"Origin": "https://" + host, "Referer": url}, "text/plain;charset=UTF-8"), json.dumps(ev, ensure_ascii=False))
    elif k == 2:
        # A JSON blob as the form body with no key: the blob is a name.
        ev = {"e": "pv", "u": url, "r": ref, "sid": token(12), "vw": 1903, "sc": "1920x1080", "dt": title, "tz": -540}
        row("beacon", "POST", "/b", hdr("stats.example.net", {"Origin": "https://" + host, "Referer": url}, FORM), q(json.dumps(ev, ensure_ascii=False)))
    else:
        qs = "ev=%s&sessionid=%s&ts=%d&data=%s" % (rnd.choice(["impression", "viewable", "click"]), token(24),
                                                    1764600000 + rnd.randint(0, 10**6), q(json.dumps({"slot": "top_banner", "size": [728, 90], "pos": "atf"})))
        row("beacon", "GET", "/imp?" + qs, hdr("ads.example.net", {"Referer": url}))


def chat():
    host = rnd.choice(HOSTS)
    vendor = "widget.chat.example.io"
    state = q(json.dumps({"vid": token(20), "open": rnd.choice([True, False]), "unread": rnd.randint(0, 3), "lang": "ko"}, separators=(",", ":")))
    cookies = "chat_state=%s; chat_vid=%s; _ga=GA1.1.%d.%d" % (state, token(20), rnd.randint(10**8, 10**9), rnd.randint(10**9, 2 * 10**9))
    msg = rnd.choice(KO + EN)
    k = rnd.randint(0, 2)
    origin = {"Origin": "https://" + vendor, "Referer": "https://%s/frame?site=%s" % (vendor, q(host)), "Cookie": cookies}
    if k == 0:
        body = "sessionid=%s&visitor=%s&message=%s&page=%s" % (token(24), token(20), qp(msg), qp(page_url(host)))
        row("chat", "POST", "/api/v2/messages", hdr(vendor, origin, FORM), body)
    elif k == 1:
        body = {"sessionid": token(24), "type": "message", "text": msg, "meta": {"page": page_url(host), "title": "문의하기"}}
        row("chat", "POST", "/api/v2/events", hdr(vendor, origin, "application/json"), json.dumps(body, ensure_ascii=False))
    else:
        row("chat", "GET", "/api/v2/poll?sessionid=%s&since=%d&cb=%d" % (token(24), rnd.randint(0, 500), rnd.randint(10**12, 2 * 10**12)), hdr(vendor, origin))


def oauth():
    host = rnd.choice(HOSTS)
    k = rnd.randint(0, 3)
    nxt = rnd.choice(["/my/orders?tab=1", "/cart", "/bbs/write.php?bo_table=qna", "/checkout?step=2&coupon=WINTER"])
    if k == 0:
        qs = "code=%s&state=%s&scope=%s" % (token(40, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"), q(json.dumps({"n": nxt, "c": token(8)})),
                                            q("openid email profile"))
        row("oauth", "GET", "/oauth/callback/kakao?" + qs, hdr(host, {"Referer": "https://kauth.kakao.com/"}))
    elif k == 1:
        redirect = "https://%s/oauth/callback/naver?next=%s" % (host, q(nxt))
        qs = "response_type=code&client_id=%s&redirect_uri=%s&state=%s" % (token(20), q(redirect), token(16))
        row("oauth", "GET", "/oauth2.0/authorize?" + qs, hdr("nid.example.com", {"Referer": page_url(host)}))
    elif k == 2:
        row("oauth", "GET", "/login?next=%s&returnUrl=%s" % (q(nxt), q("https://%s%s" % (host, nxt))), hdr(host, {"Referer": "https://%s%s" % (host, nxt)}))
    else:
        body = "grant_type=authorization_code&code=%s&redirect_uri=%s&client_id=%s&code_verifier=%s" % (
            token(40), q("https://%s/oauth/callback/google" % host), token(24), token(43, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"))
        row("oauth", "POST", "/token", hdr("oauth2.example.com", None, FORM), body)


GQL = [
    ("query Product($id: ID!) { product(id: $id) { id name price(currency: KRW) images(first: 5) { url alt } "
     "reviews(first: 10, orderBy: {field: CREATED_AT, direction: DESC}) { edges { node { rating body author { name } } } } } }", lambda: {"id": str(rnd.randint(1, 9999))}),
    ("mutation AddToCart($input: CartLineInput!) { cartLinesAdd(input: $input) { cart { id totalQuantity cost { total { amount currencyCode } } } userErrors { field message } } }",
     lambda: {"input": {"merchandiseId": "gid://shop/ProductVariant/%d" % rnd.randint(1, 10**6), "quantity": rnd.randint(1, 3)}}),
    ("query Search($q: String!, $after: String) { search(query: $q, first: 20, after: $after) { pageInfo { hasNextPage endCursor } nodes { ... on Product { id title } ... on Article { id title } } } }",
     lambda: {"q": rnd.choice(["겨울 코트", "gift", "sale -outlet", "\"exact phrase\""]), "after": None}),
    ("query { viewer { orders(last: 5) { edges { node { id status total createdAt } } } } }", lambda: {}),
    ("mutation Comment($postId: ID!, $body: String!) { addComment(postId: $postId, body: $body) { id createdAt } }",
     lambda: {"postId": str(rnd.randint(1, 9000)), "body": rnd.choice(KO + EN)}),
]


def graphql():
    host = rnd.choice(HOSTS)
    query, var = rnd.choice(GQL)
    if rnd.random() < 0.8:
        body = {"operationName": None, "query": query, "variables": var()}
        row("graphql", "POST", "/graphql", hdr(host, {"Origin": "https://" + host}, "application/json"), json.dumps(body, ensure_ascii=False))
    else:
        row("graphql", "GET", "/graphql?query=%s&variables=%s" % (q(query), q(json.dumps(var(), ensure_ascii=False))), hdr(host))


def editor_html(text):
    k = rnd.randint(0, 4)
    if k == 0:
        return '<p style="text-align: center;"><span style="font-size: 14pt; color: rgb(255, 0, 0);"><b>%s</b></span></p><p><br></p>' % text
    if k == 1:
        return '<p>%s</p><p><img src="/data/editor/2612/%s_%d.jpg" alt="" style="width: 640px;" title="%d.jpg"></p>' % (
            text, token(16), rnd.randint(1, 9), rnd.randint(1, 9))
    if k == 2:
        return ('<table border="1" cellpadding="5" style="border-collapse: collapse; width: 100%%;"><tbody><tr><td style="width: 30%%;">옵션</td>'
                '<td>가격</td></tr><tr><td>블랙 / L</td><td>89,000원</td></tr></tbody></table><p>%s</p>') % text
    if k == 3:
        return '<div>%s</div><div><a href="https://%s/item/%d" target="_blank" rel="noopener">상품 링크</a></div>' % (text, rnd.choice(HOSTS), rnd.randint(1, 999))
    return "<p>%s&nbsp;</p><p>%s</p>" % (text, rnd.choice(KO))


def board():
    host = rnd.choice(HOSTS)
    text = rnd.choice(KO)
    body = "w=&bo_table=%s&wr_id=&sca=&sfl=&stx=&spt=&sst=&sod=&page=&html=html1&wr_subject=%s&wr_content=%s&wr_link1=&wr_name=%s&wr_password=%s&token=%s" % (
        rnd.choice(["free", "qna", "review", "notice"]), qp(text[:20]), qp(editor_html(text)), qp(rnd.choice(["김민수", "이지은", "박서준", "guest"])),
        qp(token(8, "abcdefghijkmnpqrstuvwxyz23456789")), token(32))
    row("board-html", "POST", "/bbs/write_update.php", hdr(host, {"Referer": "https://%s/bbs/write.php?bo_table=free" % host}, FORM), body)


DEV_POSTS = [
    "<p>배열 합계는 이렇게 구했습니다.</p><pre><code>total = sum(x for x in items if x &gt; 0)\nprint(total)</code></pre>",
    "<p>cron 에서 매일 새벽 3시에 백업하려면 <code>0 3 * * * /home/user/backup.sh</code> 를 넣으세요.</p>",
    "<p>jQuery 로 값을 읽을 때 <code>$('#price').val()</code> 가 빈 문자열이면 0 으로 처리합니다.</p>",
    "<p>SQL 질문입니다. 주문 테이블에서 월별 합계를 구하고 싶어요.</p><pre>SELECT DATE_FORMAT(created_at, '%Y-%m') AS ym, SUM(amount)\nFROM orders\nGROUP BY ym\nORDER BY ym DESC;</pre>",
    "<p>nginx 설정에서 <code>location ~ \\.php$ { fastcgi_pass unix:/run/php/php8.2-fpm.sock; }</code> 부분을 확인해 보세요.</p>",
    "<p>PHP 8 로 올린 뒤 <code>count(): Argument #1 ($value) must be of type Countable|array</code> 오류가 납니다.</p>",
    "<p>Vue 에서 <code>v-for=\"(item, i) in items\"</code> 로 돌리고 <code>:key=\"item.id\"</code> 를 주면 됩니다.</p>",
    "<p>git 으로 되돌리려면 <code>git reset --hard HEAD~1</code> 인데 push 전이어야 합니다.</p>",
    "<p>엑셀에서 <code>=IF(A2&gt;=90,\"A\",IF(A2&gt;=80,\"B\",\"C\"))</code> 수식이 안 먹어요.</p>",
    "<p>워드프레스 functions.php 에 <code>add_filter('excerpt_length', function($l) { return 40; });</code> 추가했습니다.</p>",
]


def dev_board():
    host = rnd.choice(HOSTS)
    post = rnd.choice(DEV_POSTS)
    body = "bo_table=dev&html=html1&wr_subject=%s&wr_content=%s&token=%s" % (qp("질문 있습니다"), qp(post), token(32))
    row("board-dev", "POST", "/bbs/write_update.php", hdr(host, {"Referer": "https://%s/bbs/write.php?bo_table=dev" % host}, FORM), body)


def wp_rest():
    host = rnd.choice(HOSTS)
    text = rnd.choice(KO + EN)
    content = ('<!-- wp:paragraph -->\n<p>%s</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:image {"id":%d,"sizeSlug":"large","linkDestination":"none"} -->\n'
               '<figure class="wp-block-image size-large"><img src="https://%s/wp-content/uploads/2026/12/photo-%d-1024x683.jpg" alt="" class="wp-image-%d"/></figure>\n'
               '<!-- /wp:image -->') % (text, rnd.randint(10, 9999), host, rnd.randint(1, 99), rnd.randint(10, 9999))
    body = {"title": text[:24], "content": content, "status": rnd.choice(["draft", "publish"]), "categories": [rnd.randint(1, 20)], "meta": {"footnotes": ""}}
    row("wp-rest", "POST", "/wp-json/wp/v2/posts/%d?_locale=user" % rnd.randint(1, 9999),
        hdr(host, {"X-WP-Nonce": token(10), "Cookie": "wordpress_logged_in_%s=admin%%7C%d%%7C%s" % (token(32), 1764600000, token(43))}, "application/json"),
        json.dumps(body, ensure_ascii=False))


ADDR = ["서울특별시 강남구 테헤란로 123, 4층 (역삼동)", "부산광역시 해운대구 센텀중앙로 55 (우동) 101동 1203호", "경기도 성남시 분당구 판교역로 235, B동 7층",
        "제주특별자치도 제주시 첨단로 242 #301", "대구광역시 수성구 달구벌대로 2450-1 (범어동)"]
MEMO = ["문 앞에 놔주세요", "부재 시 경비실에 맡겨 주세요 -- 감사합니다", "배송 전 연락 부탁드립니다 (010-1234-5678)", "선물 포장 부탁드려요! 리본은 빨간색으로", ""]


def order():
    host = rnd.choice(HOSTS)
    body = "od_name=%s&od_tel=%s&od_hp=%s&od_zip=%05d&od_addr1=%s&od_addr2=%s&od_memo=%s&it_opt=%s&coupon=%s&od_settle_case=%s&token=%s" % (
        qp(rnd.choice(["김민수", "이지은", "박서준"])), qp("02-%d-%04d" % (rnd.randint(300, 999), rnd.randint(0, 9999))),
        qp("010-%04d-%04d" % (rnd.randint(0, 9999), rnd.randint(0, 9999))), rnd.randint(1000, 63000), qp(rnd.choice(ADDR)),
        qp(rnd.choice(["", "(문 앞)", "1층 카페 옆"])), qp(rnd.choice(MEMO)), qp(rnd.choice(["색상:블랙|사이즈:L", "용량:500ml x 2", "옵션: 기본 (+0원)"])),
        rnd.choice(["", "WINTER-2026", "WELCOME10"]), qp(rnd.choice(["신용카드", "계좌이체", "간편결제"])), token(32))
    row("shop-order", "POST", "/shop/orderformupdate.php", hdr(host, {"Referer": "https://%s/shop/orderform.php" % host}, FORM), body)


KINDS = [js_error, beacon, chat, oauth, graphql, board, dev_board, wp_rest, order]
for i in range(count):
    KINDS[i % len(KINDS)]()

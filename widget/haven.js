/*
 * Haven web chat widget. Embed it with one tag (README: "Put Haven on your website"):
 *
 *   <div id="haven-chat"></div>
 *   <script src="https://haven.example.org/widget/haven.js" data-target="haven-chat" defer></script>
 *
 * Plain JavaScript, no build step. Everything (styles, texts, socket.io-client) comes from the
 * Haven server that served this file. Safety rules kept throughout:
 * - nothing from the server or the user is ever parsed as HTML: text goes in with textContent,
 *   links are built as elements and only for http and https addresses;
 * - only sessionStorage is used (conversation id, its token, the language), never cookies or
 *   local storage; quick exit and "Clear chat" remove it;
 * - the language: the one picked in the menu, else the page's `data-language`, else the
 *   browser's (only a hint: Haven still answers in the language the young person writes in);
 * - quick exit (button, Esc) works as soon as this file has run, even before the chat connects;
 *   it tells the server the young person left, so a request for a counselor leaves the queue;
 * - this page's messages are kept in page memory only (`transcript`); they are sent to the server
 *   only when a counselor joins and the young person said yes to sharing, and are gone with the
 *   page, at quick exit and at "Clear chat".
 */
(function () {
  'use strict';

  var script = document.currentScript;
  if (!script || window.HavenWidget) {
    return;
  }

  var PREFIX = 'haven.';
  var ACK_TIMEOUT_MS = 30000;
  var SESSION_TIMEOUT_MS = 10000;
  var MAX_MESSAGE_CHARS = 10000;
  var TRANSCRIPT_MESSAGES = 50;
  var TRANSCRIPT_CHARS = 1000;
  var TRANSCRIPT_BYTES = 48000; // below the server's 64 KB message limit
  var DEFAULT_EXIT_URL = 'https://www.google.com/';
  // Any web address is a link: "https://..." or a name with dots ending in letters
  // ("3114.fr", "childline.org.uk/remove"), so no country's address is ever missed. One literal:
  // `make check-content` (haven/packs/reply_check.py) reads it to check every address Haven sends.
  var LINK_PATTERN = new RegExp('(?:https?:\\/\\/[^\\s<>"]+|\\b(?:[a-z0-9-]+\\.)+[a-z]{2,24}\\b(?:\\/[^\\s<>"]*)?)', 'gi');

  // ----- configuration, from the script tag's data attributes -----

  function httpUrl(value, fallback) {
    if (!value) {
      return fallback;
    }
    try {
      var url = new URL(value, location.href);
      if (url.protocol === 'https:' || url.protocol === 'http:') {
        return url.href;
      }
    } catch (error) {
      // not a URL: use the fallback
    }
    return fallback;
  }

  var data = script.dataset;
  var scriptUrl = new URL(script.src, location.href);
  var config = {
    target: data.target || 'haven-chat',
    server: new URL(httpUrl(data.server, scriptUrl.href)).origin,
    assets: new URL('.', scriptUrl).href,
    exitUrl: httpUrl(data.exitUrl, DEFAULT_EXIT_URL),
    language: data.language || '',
    // The country the page serves ("CA", "br"): Haven's help lines for it from the first reply,
    // and the languages people write there when a message's language is close to call. Only a
    // short code goes; Haven keeps it only if a region pack has it.
    region: /^[A-Za-z]{2,3}$/.test(data.region || '') ? data.region : '',
    color: data.color || '',
    logo: httpUrl(data.logo, ''),
    name: data.name || 'Haven',
    headingLevel: Math.min(6, Math.max(1, parseInt(data.headingLevel, 10) || 2)),
    escExit: data.escExit !== 'false'
  };

  // ----- sessionStorage, and nothing else on the device -----

  var store = {
    get: function (key) {
      try {
        return JSON.parse(window.sessionStorage.getItem(PREFIX + key));
      } catch (error) {
        return null;
      }
    },
    set: function (key, value) {
      try {
        window.sessionStorage.setItem(PREFIX + key, JSON.stringify(value));
      } catch (error) {
        // storage full or blocked: the chat still works, it just cannot resume after a reload
      }
    },
    clear: function () {
      try {
        for (var i = window.sessionStorage.length - 1; i >= 0; i -= 1) {
          var key = window.sessionStorage.key(i);
          if (key && key.indexOf(PREFIX) === 0) {
            window.sessionStorage.removeItem(key);
          }
        }
      } catch (error) {
        // nothing stored
      }
    }
  };

  // ----- state -----

  var strings = null;
  var language = 'en';
  // Whether someone chose the language (the page's data-language, the menu, or earlier in this
  // tab): only then is it sent with each message, and it wins over what the message looks like.
  // Otherwise (English, or the browser's language) it goes with the greeting only, and Haven
  // reads the language from each message itself.
  var languageChosen = false;
  // The language picked in the menu and not sent yet: it goes once, with the next message, as
  // the young person's choice, so it beats an "in english please" typed before the pick (and
  // one typed after it beats the pick). Kept in sessionStorage until it is sent.
  var languagePicked = null;
  var socket = null;
  var exited = false;
  var ready = false; // connected and the server confirmed our conversation
  var conversation = null; // {id, token, seq}
  var outbox = []; // messages not yet acknowledged, in order: {message, seq, hidden, bubble}
  var inflight = null;
  var wasDisconnected = false;
  var ui = {};
  var bound = []; // [node, key, attribute] re-translated when the language changes
  var transcript = []; // this page's messages, in memory only: {from, text}

  // ----- quick exit: first, so it works whatever happens next -----

  function quickExit(event) {
    if (event) {
      event.preventDefault();
    }
    exited = true;
    store.clear();
    transcript = [];
    try {
      if (socket) {
        socket.io.reconnection(false);
        if (socket.connected) {
          socket.emit('leave'); // a waiting request for a counselor leaves the queue
        }
        socket.disconnect();
      }
    } catch (error) {
      // the socket is gone already
    }
    try {
      if (ui.root) {
        ui.root.remove();
      }
      document.title = '';
      document.body.style.display = 'none';
    } catch (error) {
      // the page is being replaced anyway
    }
    window.location.replace(config.exitUrl);
  }

  document.addEventListener('keydown', function (event) {
    if (config.escExit && event.key === 'Escape' && !event.isComposing) {
      quickExit(event);
    }
  });

  window.HavenWidget = { quickExit: quickExit };

  // ----- small DOM helpers: elements and text nodes only, no HTML parsing -----

  function t(key) {
    var texts = strings[language] || strings.en;
    return texts[key] || strings.en[key] || '';
  }

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (name === 'text') {
        node.textContent = value;
      } else if (name === 'className') {
        node.className = value;
      } else {
        node.setAttribute(name, value);
      }
    });
    (children || []).forEach(function (child) {
      if (child) {
        node.appendChild(child);
      }
    });
    return node;
  }

  function bind(node, key, attribute) {
    bound.push([node, key, attribute]);
    applyText(node, key, attribute);
    return node;
  }

  function applyText(node, key, attribute) {
    if (attribute) {
      node.setAttribute(attribute, t(key));
    } else {
      node.textContent = t(key);
    }
  }

  function applyLanguage() {
    ui.root.setAttribute('lang', language);
    bound.forEach(function (entry) {
      applyText(entry[0], entry[1], entry[2]);
    });
  }

  function srOnly(key) {
    return bind(el('span', { className: 'haven-sr' }), key);
  }

  // Text with its web addresses as links; everything else stays plain text.
  function appendLinkified(parent, text) {
    var last = 0;
    var match;
    LINK_PATTERN.lastIndex = 0;
    while ((match = LINK_PATTERN.exec(text)) !== null) {
      var found = match[0].replace(/[.,;:!?)\]]+$/, '');
      var href = httpUrl(/^https?:\/\//i.test(found) ? found : 'https://' + found, '');
      if (!href || !found) {
        continue;
      }
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = el('a', {
        href: href,
        target: '_blank',
        rel: 'noopener noreferrer',
        referrerpolicy: 'no-referrer',
        text: found
      });
      link.appendChild(el('span', { className: 'haven-sr', text: ' ' + t('opens_new_tab') }));
      parent.appendChild(link);
      last = match.index + found.length;
      LINK_PATTERN.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // ----- the conversation -----

  function scrollToEnd() {
    ui.scroller.scrollTop = ui.scroller.scrollHeight;
  }

  // Scrolls down to the end, but never past the top of `node`.
  function scrollToShow(node) {
    var end = ui.scroller.scrollHeight - ui.scroller.clientHeight;
    ui.scroller.scrollTop = Math.min(end, node.offsetTop - 8);
  }

  function remember(from, text) {
    if (typeof text === 'string' && text.trim()) {
      transcript.push({ from: from, text: text.slice(0, TRANSCRIPT_CHARS) });
      transcript.splice(0, Math.max(0, transcript.length - TRANSCRIPT_MESSAGES));
    }
  }

  // What the counselor sees of this chat, when the young person said yes: the last messages,
  // small enough for one socket message.
  function sendTranscript() {
    var items = transcript.slice(-TRANSCRIPT_MESSAGES);
    var encoder = new TextEncoder();
    while (items.length && encoder.encode(JSON.stringify(items)).length > TRANSCRIPT_BYTES) {
      items.shift();
    }
    socket.emit('transcript', { messages: items });
  }

  function addUserBubble(text) {
    remember('young_person', text);
    var pending = el('span', { className: 'haven-pending' }, [
      el('span', { 'aria-hidden': 'true', text: ' \u23F3' }),
      el('span', { className: 'haven-sr', text: ' (' + t('waiting') + ')' })
    ]);
    var paragraph = el('p', { text: text });
    var bubble = el('div', { className: 'haven-msg haven-msg--user' }, [
      srOnly('you_said'),
      paragraph,
      pending
    ]);
    ui.log.appendChild(bubble);
    scrollToEnd();
    return bubble;
  }

  function addBotMessage(message, quiet) {
    if (!message || typeof message !== 'object') {
      return;
    }
    // A counselor's message (during a handoff) is labelled as coming from a person.
    var counselor = message.from === 'counselor';
    if (counselor) {
      showCounselorTyping(false);
    }
    var bubble = counselor
      ? el('div', { className: 'haven-msg haven-msg--bot haven-msg--counselor' }, [
          bind(el('span', { className: 'haven-who' }), 'counselor_said')
        ])
      : el('div', { className: 'haven-msg haven-msg--bot' }, [srOnly('bot_said')]);
    var text = typeof message.text === 'string' ? message.text : '';
    remember(counselor ? 'counselor' : 'haven', text);
    text.split(/\n{2,}/).forEach(function (part) {
      if (part.trim()) {
        var paragraph = el('p');
        appendLinkified(paragraph, part);
        bubble.appendChild(paragraph);
      }
    });
    var buttons = Array.isArray(message.buttons) ? message.buttons : [];
    if (buttons.length) {
      var group = el('div', { className: 'haven-replies', role: 'group' });
      bind(group, 'suggested_replies', 'aria-label');
      buttons.forEach(function (button) {
        if (!button || typeof button.title !== 'string') {
          return;
        }
        var payload = typeof button.payload === 'string' ? button.payload : button.title;
        var choice = el('button', { type: 'button', className: 'haven-reply', text: button.title });
        // Quick replies stay usable: any of them can be picked again later.
        choice.addEventListener('click', function () {
          send(payload, button.title);
        });
        group.appendChild(choice);
      });
      bubble.appendChild(group);
    }
    ui.log.appendChild(bubble);
    if (quiet !== true) {
      scrollToEnd();
    }
    return bubble;
  }

  // While waiting for a counselor: the place in the queue and the estimated wait, in words the
  // server sends in the young person's language; hidden once the request is no longer waiting.
  function showWaiting(update) {
    var text = update && typeof update.text === 'string' && update.place ? update.text : '';
    ui.queue.textContent = text;
    ui.queue.hidden = !text;
  }

  // The counselor's typing dots; they go when the message comes, or after a while without news.
  var counselorTypingTimer = null;
  function showCounselorTyping(typing) {
    window.clearTimeout(counselorTypingTimer);
    ui.counselorTyping.hidden = !typing;
    if (typing) {
      counselorTypingTimer = window.setTimeout(function () { showCounselorTyping(false); }, 8000);
      scrollToEnd();
    }
  }

  // Tells a counselor who has the chat that the young person is typing (at most every 3 s).
  var typingSent = 0;
  function tellTyping() {
    if (!ready || !socket || !socket.connected || Date.now() - typingSent < 3000) {
      return;
    }
    typingSent = Date.now();
    socket.emit('typing', { typing: true });
  }

  // "Did this help?": one optional tap, counted by the server and nothing else kept.
  function askHelpful(question) {
    if (!question || typeof question.question !== 'string' || !question.answers) {
      return;
    }
    var bubble = el('div', { className: 'haven-msg haven-msg--bot haven-helpful' }, [srOnly('bot_said')]);
    bubble.appendChild(el('p', { text: question.question }));
    var group = el('div', { className: 'haven-replies', role: 'group' });
    bind(group, 'suggested_replies', 'aria-label');
    ['yes', 'a_bit', 'no'].forEach(function (answer) {
      if (typeof question.answers[answer] !== 'string') {
        return;
      }
      var choice = el('button', { type: 'button', className: 'haven-reply', text: question.answers[answer] });
      choice.setAttribute('data-answer', answer);
      choice.addEventListener('click', function () {
        if (socket && socket.connected) {
          socket.emit('helpful', { answer: answer });
        }
        group.replaceWith(el('p', { text: question.thanks || '' }));
      });
      group.appendChild(choice);
    });
    bubble.appendChild(group);
    ui.log.appendChild(bubble);
    scrollToEnd();
  }

  var CONNECTION_STATUSES = ['offline', 'connecting', 'reconnected'];

  function setStatus(key) {
    ui.statusKey = key;
    ui.status.textContent = key ? t(key) : '';
    ui.status.hidden = !key;
  }

  // Once connected, a connection notice goes; another notice (e.g. "cleared") stays.
  function clearConnectionStatus() {
    if (CONNECTION_STATUSES.indexOf(ui.statusKey) >= 0) {
      setStatus('');
    }
  }

  // The typing dots while Haven answers; "waiting to send" on messages that cannot go yet.
  function updateTyping() {
    var waiting = ready && (inflight || outbox.length);
    outbox.forEach(function (item) {
      var pending = item.bubble && item.bubble.querySelector('.haven-pending');
      if (pending) {
        pending.hidden = ready;
      }
    });
    ui.typing.hidden = !waiting;
    if (waiting && !(inflight && inflight.item.quiet)) {
      scrollToEnd();
    }
  }

  // Queues a message; it is sent when connected, strictly in order, and sent again after a
  // dropped connection until the server acknowledges it.
  function send(message, shownText) {
    if (exited || typeof message !== 'string' || !message.trim()) {
      return;
    }
    var item = { message: message.slice(0, MAX_MESSAGE_CHARS), seq: null, bubble: null };
    typingSent = 0;
    if (shownText !== null) {
      item.bubble = addUserBubble(shownText === undefined ? message : shownText);
    }
    outbox.push(item);
    sendNext();
  }

  function sendNext() {
    if (!ready || inflight || !outbox.length || !socket || !socket.connected) {
      updateTyping();
      return;
    }
    var item = outbox[0];
    if (item.seq === null) {
      conversation.seq += 1;
      item.seq = conversation.seq;
      store.set('conversation', conversation);
    }
    var attempt = { item: item };
    inflight = attempt;
    updateTyping();
    var body = { message: item.message, seq: item.seq, metadata: metadataFor(item) };
    socket.timeout(ACK_TIMEOUT_MS).emit('user_uttered', body, function (error, reply) {
      if (inflight !== attempt) {
        return; // the connection dropped meanwhile; the message is sent again on reconnecting
      }
      inflight = null;
      if (error) {
        window.setTimeout(sendNext, 1000); // the server answers a repeat without handling it twice
        return;
      }
      if (reply && reply.error === 'no_session') {
        ready = false;
        requestSession();
        return;
      }
      outbox.shift();
      if (item.bubble) {
        var pending = item.bubble.querySelector('.haven-pending');
        if (pending) {
          pending.remove();
        }
      }
      var first = null;
      ((reply && reply.messages) || []).forEach(function (message) {
        var shown = addBotMessage(message, true);
        first = first || shown;
      });
      // The start of a long reply stays in view; the greeting leaves the first screen in view.
      if (first && !item.quiet) {
        scrollToShow(first);
      }
      if (reply && reply.helpful) {
        askHelpful(reply.helpful);
      }
      if (reply && known(reply.language)) {
        followChosenLanguage(reply.language);
      }
      sendNext();
    });
  }

  // What a message tells Haven about the language and the page's country, fixed when it is
  // first sent (so a message sent again after a lost connection says the same).
  function metadataFor(item) {
    if (!item.metadata) {
      item.metadata = languageChosen || item.greeting ? { language: language } : {};
      if (config.region) {
        item.metadata.region = config.region;
      }
      if (languagePicked) {
        item.metadata.chosen_language = languagePicked;
        languagePicked = null;
        store.set('language_picked', null);
      }
    }
    return item.metadata;
  }

  // A language chosen in the chat ("in english please", a language button): the widget's own
  // texts and its menu follow, as if it was picked there, unless the menu was picked since (the
  // later choice, still to be sent). Haven has it already: nothing more to send.
  function followChosenLanguage(code) {
    if (languagePicked) {
      return;
    }
    language = code;
    languageChosen = true;
    store.set('language', language);
    ui.language.value = language;
    applyLanguage();
  }

  function requestSession() {
    if (!socket || !socket.connected || exited) {
      return;
    }
    var saved = store.get('conversation') || {};
    var claim = { session_id: saved.id || null, token: saved.token || null };
    socket.timeout(SESSION_TIMEOUT_MS).emit('session_request', claim, function (error, reply) {
      if (error || !reply || typeof reply.session_id !== 'string') {
        window.setTimeout(requestSession, 2000);
        return;
      }
      var fresh = !reply.resumed;
      conversation = {
        id: reply.session_id,
        token: reply.token,
        seq: fresh ? 0 : saved.seq || 0
      };
      if (fresh) {
        outbox.forEach(function (item) {
          item.seq = null; // numbered again in the new conversation
        });
        if (!ui.log.querySelector('.haven-msg--bot')) {
          outbox.unshift({ message: '/greet', seq: null, bubble: null, quiet: true, greeting: true });
        }
      } else if (!ui.log.querySelector('.haven-msg, .haven-event')) {
        // After a reload: the assistant remembers, but earlier messages were never stored here.
        ui.log.appendChild(bind(el('p', { className: 'haven-event' }), 'resumed'));
      }
      store.set('conversation', conversation);
      ready = true;
      if (wasDisconnected) {
        setStatus('reconnected');
        window.setTimeout(function () {
          if (ready && ui.statusKey === 'reconnected') {
            setStatus('');
          }
        }, 4000);
      } else {
        clearConnectionStatus();
      }
      wasDisconnected = false;
      sendNext();
    });
  }

  function connect() {
    if (typeof window.HavenIO !== 'function') {
      setStatus('offline');
      return;
    }
    socket = window.HavenIO(config.server, {
      path: '/socket.io',
      transports: ['websocket', 'polling'],
      autoConnect: false,
      reconnectionDelay: 500,
      reconnectionDelayMax: 4000,
      withCredentials: false
    });
    socket.on('connect', requestSession);
    socket.on('disconnect', function () {
      ready = false;
      inflight = null;
      wasDisconnected = true;
      setStatus(navigator.onLine === false ? 'offline' : 'connecting');
      updateTyping();
    });
    socket.on('connect_error', function () {
      wasDisconnected = true;
      setStatus(navigator.onLine === false ? 'offline' : 'connecting');
    });
    socket.on('bot_uttered', function (message) {
      addBotMessage(message);
    });
    socket.on('transcript_request', sendTranscript);
    socket.on('waiting', showWaiting);
    socket.on('typing', function (update) {
      showCounselorTyping(!!(update && update.typing === true));
    });
    socket.on('helpful', askHelpful);
    window.addEventListener('offline', function () {
      setStatus('offline');
      socket.disconnect();
    });
    window.addEventListener('online', function () {
      if (!exited && !socket.connected) {
        setStatus('connecting');
        socket.connect();
      }
    });
    setStatus('connecting');
    if (navigator.onLine === false) {
      setStatus('offline');
    } else {
      socket.connect();
    }
  }

  function clearChat() {
    store.clear();
    if (languageChosen) {
      store.set('language', language);
    }
    outbox = [];
    inflight = null;
    ready = false;
    conversation = null;
    ui.log.textContent = '';
    transcript = [];
    ui.input.value = '';
    showWaiting(null);
    showCounselorTyping(false);
    setStatus('cleared');
    if (socket && socket.connected) {
      requestSession(); // without an id or token: the server starts a new conversation
    }
    ui.input.focus();
  }

  // ----- building the widget -----

  function applyColor(root) {
    var match = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(config.color.trim());
    if (!match) {
      return;
    }
    var hex = match[1].length === 3 ? match[1].replace(/(.)/g, '$1$1') : match[1];
    var channels = [0, 2, 4].map(function (i) {
      var c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
    // The text on the colour is white or near-black, whichever contrasts more (WCAG AA).
    var onWhite = 1.05 / (luminance + 0.05);
    var onDark = (luminance + 0.05) / (0.0109 + 0.05);
    root.style.setProperty('--haven-primary', '#' + hex);
    root.style.setProperty('--haven-on-primary', onWhite >= onDark ? '#ffffff' : '#111111');
  }

  function build(container) {
    var root = el('section', { className: 'haven', lang: language });
    bind(root, 'chat_label', 'aria-label');
    applyColor(root);
    ui.root = root;

    var exitButton = el('button', { type: 'button', className: 'haven-exit' });
    bind(exitButton, 'quick_exit');
    bind(exitButton, 'quick_exit_hint', 'title');
    exitButton.addEventListener('click', quickExit);

    var heading = el('h' + config.headingLevel, { className: 'haven-title' });
    if (config.logo) {
      heading.appendChild(el('img', { className: 'haven-logo', src: config.logo, alt: '' }));
    }
    heading.appendChild(el('span', { text: config.name }));

    var select = el('select', { id: 'haven-language', className: 'haven-language' });
    ui.language = select;
    Object.keys(strings).forEach(function (code) {
      var option = el('option', { value: code, lang: code, text: strings[code].language_name });
      option.selected = code === language;
      select.appendChild(option);
    });
    select.addEventListener('change', function () {
      language = select.value;
      languageChosen = true;
      languagePicked = language;
      store.set('language', language);
      store.set('language_picked', language);
      applyLanguage();
    });
    var languageLabel = bind(el('label', { for: 'haven-language', className: 'haven-sr' }), 'language_label');

    // Quick exit is the first thing a keyboard reaches; the language is with the other actions.
    var note = bind(el('p', { className: 'haven-note' }), 'automated_note');
    var header = el('header', { className: 'haven-header' }, [
      el('div', { className: 'haven-brand' }, [heading, note]),
      exitButton
    ]);

    var intro = el('div', { className: 'haven-intro' }, [
      bind(el('p', { className: 'haven-intro-title' }), 'intro_title'),
      bind(el('p'), 'intro_exit'),
      bind(el('p'), 'intro_history'),
      bind(el('p'), 'intro_privacy')
    ]);

    ui.log = el('div', { className: 'haven-log', role: 'log', 'aria-live': 'polite' });
    bind(ui.log, 'conversation_label', 'aria-label');
    ui.typing = el('div', { className: 'haven-typing', 'aria-hidden': 'true', hidden: '' }, [
      el('span', { className: 'haven-dot' }),
      el('span', { className: 'haven-dot' }),
      el('span', { className: 'haven-dot' })
    ]);
    bind(ui.typing, 'typing', 'title');
    ui.counselorTyping = el('div', { className: 'haven-counselor-typing', hidden: '' }, [
      el('span', { className: 'haven-dot', 'aria-hidden': 'true' }),
      el('span', { className: 'haven-dot', 'aria-hidden': 'true' }),
      el('span', { className: 'haven-dot', 'aria-hidden': 'true' }),
      bind(el('span', { className: 'haven-sr' }), 'counselor_typing')
    ]);
    bind(ui.counselorTyping, 'counselor_typing', 'title');
    ui.scroller = el('div', { className: 'haven-scroller' }, [intro, ui.log, ui.typing, ui.counselorTyping]);

    ui.status = el('p', { className: 'haven-status', role: 'status', hidden: '' });
    ui.queue = el('p', { className: 'haven-queue', role: 'status', hidden: '' });

    ui.input = el('textarea', {
      id: 'haven-input',
      className: 'haven-input',
      rows: '1',
      maxlength: String(MAX_MESSAGE_CHARS),
      autocomplete: 'off'
    });
    bind(ui.input, 'message_placeholder', 'placeholder');
    var inputLabel = bind(el('label', { for: 'haven-input', className: 'haven-sr' }), 'message_label');
    var sendButton = bind(el('button', { type: 'submit', className: 'haven-send' }), 'send');
    var form = el('form', { className: 'haven-composer' }, [inputLabel, ui.input, sendButton]);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var text = ui.input.value;
      if (text.trim()) {
        ui.input.value = '';
        resizeInput();
        send(text);
      }
      ui.input.focus();
    });
    ui.input.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    ui.input.addEventListener('input', resizeInput);
    ui.input.addEventListener('input', tellTyping);
    ui.input.addEventListener('focus', function () {
      window.setTimeout(scrollToEnd, 300); // after the on-screen keyboard has opened
    });

    var personButton = bind(el('button', { type: 'button', className: 'haven-action' }), 'talk_to_person');
    personButton.addEventListener('click', function () {
      send('/request_human', t('talk_to_person_text'));
    });
    var clearButton = bind(el('button', { type: 'button', className: 'haven-action' }), 'clear_chat');
    clearButton.addEventListener('click', clearChat);
    var actions = el('div', { className: 'haven-actions' }, [
      personButton,
      clearButton,
      el('div', { className: 'haven-language-box' }, [languageLabel, select])
    ]);

    [header, ui.scroller, ui.status, ui.queue, form, actions].forEach(function (part) {
      root.appendChild(part);
    });
    container.appendChild(root);

    if (window.visualViewport) {
      window.visualViewport.addEventListener('resize', scrollToEnd);
    }
  }

  function resizeInput() {
    ui.input.style.height = 'auto';
    ui.input.style.height = Math.min(ui.input.scrollHeight, 160) + 'px';
  }

  // ----- loading: styles, texts and socket.io-client from the same Haven server -----

  function load(tag, attributes) {
    return new Promise(function (resolve, reject) {
      var node = el(tag, attributes);
      node.addEventListener('load', resolve);
      node.addEventListener('error', reject);
      document.head.appendChild(node);
    });
  }

  function loadSocketIo() {
    // socket.io-client sets window.io; keep a page's own `io` untouched.
    var pagesIo = window.io;
    return load('script', { src: config.assets + 'vendor/socket.io.min.js' }).then(function () {
      window.HavenIO = window.io;
      if (pagesIo === undefined) {
        delete window.io;
      } else {
        window.io = pagesIo;
      }
    });
  }

  // The first of the browser's languages the widget has texts for, by its main part ("pt-BR",
  // "fr-CA", "nl-BE": pt, fr, nl); null when it has none of them.
  function browserLanguage() {
    var wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
    for (var i = 0; i < wanted.length; i += 1) {
      var code = String(wanted[i] || '').split(/[-_]/)[0].toLowerCase();
      if (Object.prototype.hasOwnProperty.call(strings, code)) {
        return code;
      }
    }
    return null;
  }

  function known(code) {
    return typeof code === 'string' && Object.prototype.hasOwnProperty.call(strings, code);
  }

  function start() {
    if (exited) {
      return;
    }
    strings = window.HavenStrings;
    var stored = store.get('language');
    var picked = store.get('language_picked');
    languagePicked = known(picked) ? picked : null;
    if (known(stored)) {
      language = stored; // chosen earlier in this tab
      languageChosen = true;
    } else if (known(config.language)) {
      language = config.language;
      languageChosen = true;
    } else {
      language = browserLanguage() || 'en'; // a hint, not a choice
      languageChosen = false;
    }
    var container = document.getElementById(config.target);
    if (!container) {
      container = el('div', { id: config.target });
      script.parentNode.insertBefore(container, script.nextSibling);
    }
    build(container);
    loadSocketIo().then(connect, function () {
      setStatus('offline');
    });
  }

  Promise.all([
    load('link', { rel: 'stylesheet', href: config.assets + 'haven.css' }),
    load('script', { src: config.assets + 'strings.js' })
  ]).then(start);
})();

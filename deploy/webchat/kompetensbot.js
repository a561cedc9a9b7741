/*
 * Kompetensbot's web chat: connects Microsoft's Web Chat (window.WebChat, from webchat.js) to the bot.
 *
 * - A new visitor gets a token from the bot (POST api/directline/token): from Azure Direct Line when the
 *   server has a Direct Line secret, else from the bot's own local Direct Line. The secret never reaches
 *   the browser. The answer says which Direct Line to talk to ("domain").
 * - Once connected, the page sends the `webchat/join` event; the welcome comes back in reply.
 * - conversationId, token and domain are kept in sessionStorage, so a reload in the same tab resumes the
 *   conversation (Direct Line reconnect) instead of starting over; no join is sent then, so no second
 *   welcome. The watermark is deliberately NOT kept: resuming without one replays the conversation, which is
 *   how the history reappears after a reload.
 * - Polling (webSocket: false): the local Direct Line has no WebSocket, and polling works through any proxy.
 */
(function () {
  'use strict';

  var STORAGE_KEY = 'kompetensbot.webchat.v1';
  var TOKEN_URL = new URL('api/directline/token', document.baseURI).href;

  var ACCENT = '#005A9C';
  var TEXT = '#1A1A1A';
  var MUTED = '#595959';
  var SURFACE = '#EEF3F8';

  var STRINGS = {
    TEXT_INPUT_PLACEHOLDER: 'Skriv din fråga…',
    TEXT_INPUT_SEND_BUTTON_ALT: 'Skicka',
    VOTE_LIKE_ALT: 'Bra svar',
    VOTE_DISLIKE_ALT: 'Inte bra svar',
    // Still English in Web Chat 4.18's sv-SE strings:
    TEXT_INPUT_TELEPHONE_KEYPAD_BUTTON_ALT: 'Knappsats',
    TEXT_INPUT_DROP_ZONE: 'Släpp filer här',
    TEXT_INPUT_LENGTH_EXCEEDED_ALT: 'Meddelandet är för långt',
    TELEPHONE_KEYPAD_INPUT_MESSAGE: 'Bara en siffra i taget',
    TEXT_INPUT_ATTACHMENTS_ONE: '1 bilaga',
    TEXT_INPUT_ATTACHMENTS_TWO: '$1 bilagor',
    TEXT_INPUT_ATTACHMENTS_FEW: '$1 bilagor',
    TEXT_INPUT_ATTACHMENTS_MANY: '$1 bilagor',
    TEXT_INPUT_ATTACHMENTS_OTHER: '$1 bilagor'
  };

  // Calm, readable, WCAG AA: every text/background pair below is at least 4.5:1.
  var STYLE = {
    accent: ACCENT,
    backgroundColor: '#FFFFFF',
    subtle: MUTED,
    primaryFont: "'Segoe UI', system-ui, -apple-system, 'Helvetica Neue', Arial, sans-serif",
    fontSizeSmall: '85%',
    paddingRegular: 12,
    bubbleBackground: SURFACE,
    bubbleBorderColor: '#C9D6E3',
    bubbleBorderRadius: 8,
    bubbleTextColor: TEXT,
    bubbleFromUserBackground: ACCENT,
    bubbleFromUserBorderColor: ACCENT,
    bubbleFromUserBorderRadius: 8,
    bubbleFromUserTextColor: '#FFFFFF',
    bubbleMaxWidth: 640,
    bubbleMinHeight: 44,
    timestampColor: MUTED,
    hideUploadButton: true,
    markdownRenderHTML: false,
    sendBoxHeight: 52,
    sendBoxTextColor: TEXT,
    sendBoxPlaceholderColor: MUTED,
    sendBoxButtonColor: ACCENT,
    sendBoxBorderTop: 'solid 1px #8A9BB0',
    sendBoxButtonKeyboardFocusIndicatorBorderColor: TEXT,
    suggestedActionLayout: 'flow',
    suggestedActionHeight: 44,
    suggestedActionBorderRadius: 22,
    suggestedActionBorderWidth: 2,
    suggestedActionBackgroundColor: '#FFFFFF',
    suggestedActionBorderColor: ACCENT,
    suggestedActionTextColor: ACCENT,
    suggestedActionBackgroundColorOnHover: '#E3EDF7',
    suggestedActionBackgroundColorOnActive: '#D2E2F2',
    suggestedActionKeyboardFocusIndicatorBorderColor: TEXT,
    suggestedActionKeyboardFocusIndicatorBorderStyle: 'solid',
    suggestedActionKeyboardFocusIndicatorBorderWidth: 2,
    transcriptActivityVisualKeyboardIndicatorColor: TEXT,
    transcriptVisualKeyboardIndicatorColor: TEXT
  };

  function showProblem(text) {
    var status = document.getElementById('kb-status');
    status.textContent = text;
    status.hidden = false;
  }

  function loadSession() {
    try {
      var session = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY));
      return session && session.token && session.conversationId && session.domain ? session : null;
    } catch (error) {
      return null;
    }
  }

  function saveSession(session) {
    try {
      window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    } catch (error) {
      // Storage blocked (privacy settings): the chat works, it just will not survive a reload.
    }
  }

  function forgetSession() {
    try {
      window.sessionStorage.removeItem(STORAGE_KEY);
    } catch (error) {
      // As above.
    }
  }

  // Whether a stored conversation can still be resumed: 403 (token expired) or 404 (conversation gone)
  // mean start afresh; a network error means try anyway, and Web Chat shows its own connection notice.
  function canResume(session) {
    var url = session.domain + '/conversations/' + encodeURIComponent(session.conversationId);
    return fetch(url, { headers: { Authorization: 'Bearer ' + session.token } }).then(
      function (response) {
        return response.ok;
      },
      function () {
        return true;
      }
    );
  }

  function newSession() {
    return fetch(TOKEN_URL, { method: 'POST', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error('Token request failed: HTTP ' + response.status);
        }
        return response.json();
      })
      .then(function (body) {
        return {
          token: body.token,
          conversationId: body.conversationId || null,
          domain: new URL(body.domain, document.baseURI).href.replace(/\/$/, ''),
          userId: body.userId || null
        };
      });
  }

  function start(session, resumed) {
    var directLine = window.WebChat.createDirectLine({
      token: session.token,
      domain: session.domain,
      webSocket: false,
      // Resume: reconnect to the stored conversation (no watermark, so its history is replayed).
      conversationId: resumed ? session.conversationId : undefined
    });
    var joined = resumed;

    function remember() {
      if (directLine.conversationId) {
        saveSession({
          token: directLine.token, // changes when Direct Line refreshes it
          conversationId: directLine.conversationId,
          domain: session.domain,
          userId: session.userId
        });
      }
    }

    var store = window.WebChat.createStore({}, function (api) {
      return function (next) {
        return function (action) {
          if (action.type === 'DIRECT_LINE/CONNECT_FULFILLED') {
            remember();
            if (!joined) {
              joined = true;
              api.dispatch({
                type: 'WEB_CHAT/SEND_EVENT',
                payload: { name: 'webchat/join', value: { language: navigator.language || 'sv-SE' } }
              });
            }
          } else if (action.type === 'DIRECT_LINE/INCOMING_ACTIVITY') {
            remember();
          }
          return next(action);
        };
      };
    });

    var options = {
      directLine: directLine,
      store: store,
      locale: 'sv-SE',
      overrideLocalizedStrings: STRINGS,
      styleOptions: STYLE,
      role: 'main'
    };
    if (session.userId) {
      options.userID = session.userId;
    }
    window.WebChat.renderWebChat(options, document.getElementById('webchat'));
  }

  function main() {
    if (!window.WebChat) {
      showProblem('Chatten kunde inte laddas. Ladda om sidan om en stund.');
      return;
    }
    var stored = loadSession();
    var ready = stored ? canResume(stored) : Promise.resolve(false);
    ready
      .then(function (resumable) {
        if (resumable) {
          return start(stored, true);
        }
        forgetSession();
        return newSession().then(function (session) {
          start(session, false);
        });
      })
      .catch(function (error) {
        window.console.error(error);
        showProblem('Det går inte att nå Kompetensbot just nu. Försök igen om en stund.');
      });
  }

  main();
})();

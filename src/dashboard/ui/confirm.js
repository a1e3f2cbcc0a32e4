// The confirmation step of destructive actions: a dialog that says what will happen.
import { html } from "/assets/htm-preact.mjs";

/**
 * A dialog asking to confirm `message`: a button `action` (`onAnswer(true)`), and one that
 * changes nothing, `dismiss` ("Close" unless given; `onAnswer(false)`).
 */
export function Confirm({ message, action, dismiss = "Close", onAnswer }) {
  return html`
    <div class="backdrop">
      <div class="dialog" role="dialog" aria-modal="true" id="confirm">
        <p>${message}</p>
        <button id="confirm-yes" class="danger" onClick=${() => onAnswer(true)}>${action}</button>
        <button id="confirm-no" onClick=${() => onAnswer(false)}>${dismiss}</button>
      </div>
    </div>
  `;
}

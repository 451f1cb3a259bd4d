import { useState } from "preact/hooks";
import { getApiKey, setApiKey } from "../api/client";
import { href, navigate } from "../lib/route";

interface Props {
  onSaved: (hasKey: boolean) => void;
  reason: string | null;
}

/** The API key lives in sessionStorage: gone when the tab closes. */
export function ApiKeyPage({ onSaved, reason }: Props) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const stored = Boolean(getApiKey());

  const save = (event: Event) => {
    event.preventDefault();
    const key = value.trim();
    if (!key) {
      setError("Enter the API key that `mpr keys create` printed.");
      return;
    }
    setApiKey(key);
    setValue("");
    setError(null);
    onSaved(true);
    if (location.hash === href.key) navigate(href.upload);
  };

  const forget = () => {
    setApiKey(null);
    onSaved(false);
  };

  return (
    <section class="card narrow" aria-labelledby="key-title">
      <h1 id="key-title">API key</h1>
      {reason && <p class="notice">{reason}</p>}
      <form onSubmit={save} noValidate>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={value}
          aria-describedby="api-key-help"
          aria-invalid={error ? true : undefined}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        <p id="api-key-help" class="hint">
          Kept only in this browser tab (sessionStorage) and sent as the X-API-Key header.
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="submit" class="primary">
            Save key
          </button>
          {stored && (
            <button type="button" onClick={forget}>
              Forget key
            </button>
          )}
        </div>
      </form>
    </section>
  );
}

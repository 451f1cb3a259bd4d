import { useRef, useState } from "preact/hooks";

interface Props {
  onFile: (file: File) => void;
  disabled?: boolean;
}

/** Drop a file here, or choose one with the button (keyboard and screen-reader friendly). */
export function DropZone({ onFile, disabled }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);

  const take = (files: FileList | null | undefined) => {
    const file = files?.[0];
    if (file && !disabled) onFile(file);
  };

  return (
    <div
      class={`dropzone${over ? " over" : ""}`}
      data-testid="dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        take(e.dataTransfer?.files);
      }}
    >
      <p>Drop a video file here</p>
      <p class="hint">or</p>
      <button type="button" class="primary" disabled={disabled} onClick={() => input.current?.click()}>
        Choose a file
      </button>
      <input
        ref={input}
        type="file"
        accept="video/*,audio/*,.mp4,.mov,.mkv,.webm,.m4v,.ts,.mxf"
        aria-label="Video file to upload"
        class="visually-hidden"
        tabIndex={-1}
        onChange={(e) => {
          take(e.currentTarget.files);
          e.currentTarget.value = "";
        }}
      />
    </div>
  );
}

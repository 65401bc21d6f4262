import { useState } from 'react';
import { Button } from '../../components/ui';

/** A shell command to copy (the empty states show how to feed the device). */
export function CopySnippet({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="dev-snippet">
      <pre>
        <code>{text}</code>
      </pre>
      <Button
        kind="ghost"
        aria-label={`Copy: ${label}`}
        onClick={() => {
          void navigator.clipboard?.writeText(text).then(
            () => {
              setCopied(true);
              setTimeout(() => setCopied(false), 2000);
            },
            () => undefined,
          );
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </Button>
    </div>
  );
}

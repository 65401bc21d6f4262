import { PageHeader } from '../components/ui';

/** Placeholder until the screen lands. */
export function DevicePage({ id }: { id: string }) {
  return <PageHeader title={id} />;
}

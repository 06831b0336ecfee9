import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';

import { queryKeys } from '@/api/queryKeys';
import { listOrganizations } from '@/api/users';
import { SelectField, TextField } from '@/components/form/fields';
import { useI18n } from '@/i18n';
import { useDebouncedValue } from '@/lib/useDebouncedValue';

/**
 * Choosing an organization by its name, never by a typed id: a search box narrows the list, a select
 * holds the choice (its value is the organization's id). The current organization stays selectable
 * even when the search leaves it out.
 */
export function OrganizationPicker({
  id,
  label,
  value,
  onChange,
  error,
  hint,
  required = false,
  srOnlyLabel = true,
  emptyLabel,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (organizationId: string) => void;
  error?: string | undefined;
  hint?: string | undefined;
  required?: boolean;
  /** Dense rows (the users table) hide the label visually; forms show it. */
  srOnlyLabel?: boolean;
  /** What choosing no organization means here (a filter: all of them); "No organization" by default. */
  emptyLabel?: string;
}) {
  const { t } = useI18n();
  const [search, setSearch] = useState('');
  const name = useDebouncedValue(search.trim(), 300);
  const found = useQuery({
    queryKey: queryKeys.admin.organizations(name),
    queryFn: ({ signal }) => listOrganizations(name, signal),
    staleTime: 30_000,
    placeholderData: keepPreviousData,
  });
  const everyone = useQuery({
    queryKey: queryKeys.admin.organizations(''),
    queryFn: ({ signal }) => listOrganizations('', signal),
    staleTime: 30_000,
  });
  const options = found.data ?? [];
  const chosen = value ? (options.find((o) => o.id === value) ?? everyone.data?.find((o) => o.id === value)) : undefined;
  return (
    <div className="flex min-w-72 flex-col gap-2">
      <TextField
        id={`${id}-search`}
        type="search"
        label={t.admin.organizationSearch}
        srOnlyLabel
        placeholder={t.admin.organizationSearch}
        value={search}
        maxLength={200}
        onChange={(e) => setSearch(e.target.value)}
      />
      <SelectField id={id} label={label} srOnlyLabel={srOnlyLabel} required={required} value={value} onChange={(e) => onChange(e.target.value)} error={error} hint={hint}>
        <option value="">{emptyLabel ?? t.admin.noOrganization}</option>
        {value && !options.some((o) => o.id === value) ? <option value={value}>{chosen?.name ?? t.admin.currentOrganization}</option> : null}
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </SelectField>
    </div>
  );
}

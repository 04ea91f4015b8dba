//go:build !js

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"ragchat/auth"
)

// passwordEnv carries a new password into `users add` and
// `users reset-password`, so it is never an argument (visible in ps and
// shell history). Without it a random password is made and printed once.
const passwordEnv = "RAGCHAT_PASSWORD"

// usersCmd is `ragchat users add|list|disable|enable|reset-password`.
func usersCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return accountsCmd(ctx, "users", args, getenv, stdout, stderr, func(svc *auth.Service, sub string, rest []string) error {
		switch {
		case sub == "list" && len(rest) == 0:
			users, err := svc.Users(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tCREATED\tDISABLED")
			for _, u := range users {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\n", u.ID, u.Email, u.Role, u.CreatedAt.Format(time.DateTime), u.Disabled())
			}
			return tw.Flush()
		case sub == "add" && (len(rest) == 1 || len(rest) == 2):
			role := auth.RoleMember
			if len(rest) == 2 {
				role = auth.Role(rest[1])
			}
			pw, made := newPassword(getenv)
			u, err := svc.CreateUser(ctx, rest[0], pw, role)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "added %s (%s), id %s\n", u.Email, u.Role, u.ID)
			if made {
				fmt.Fprintf(stdout, "password (shown once): %s\n", pw)
			}
			return nil
		case (sub == "disable" || sub == "enable") && len(rest) == 1:
			u, err := svc.UserByEmail(ctx, rest[0])
			if err != nil {
				return err
			}
			if _, err := svc.SetDisabled(ctx, u.ID, sub == "disable"); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%sd %s\n", sub, u.Email)
			return nil
		case sub == "reset-password" && len(rest) == 1:
			u, err := svc.UserByEmail(ctx, rest[0])
			if err != nil {
				return err
			}
			pw, made := newPassword(getenv)
			if err := svc.ResetPassword(ctx, u.ID, pw); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "new password for %s; their sessions ended\n", u.Email)
			if made {
				fmt.Fprintf(stdout, "password (shown once): %s\n", pw)
			}
			return nil
		}
		return errors.New("usage: ragchat users add EMAIL [admin|member] | list | disable EMAIL | enable EMAIL | reset-password EMAIL (the password comes from $" + passwordEnv + ", or is made and printed)")
	})
}

// keysCmd is `ragchat keys create|list|revoke`.
func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return accountsCmd(ctx, "keys", args, getenv, stdout, stderr, func(svc *auth.Service, sub string, rest []string) error {
		switch {
		case sub == "create" && len(rest) >= 1:
			u, err := svc.UserByEmail(ctx, rest[0])
			if err != nil {
				return err
			}
			var scopes []auth.Scope
			for _, s := range rest[1:] {
				scopes = append(scopes, auth.Scope(s))
			}
			k, secret, err := svc.CreateKey(ctx, auth.Principal{UserID: u.ID, Role: u.Role}, "cli", scopes, nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "key %s for %s, scopes %v\n%s\n(shown once: only its hash is stored)\n", k.ID, u.Email, k.Scopes, secret)
			return nil
		case sub == "list" && len(rest) <= 1:
			who := ""
			if len(rest) == 1 {
				u, err := svc.UserByEmail(ctx, rest[0])
				if err != nil {
					return err
				}
				who = u.ID
			}
			keys, err := svc.Keys(ctx, who)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tUSER\tPREFIX\tSCOPES\tCREATED\tLAST USED\tREVOKED")
			for _, k := range keys {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t%s\t%s\n", k.ID, k.UserID, k.Prefix, k.Scopes, k.CreatedAt.Format(time.DateTime), when(k.LastUsedAt), when(k.RevokedAt))
			}
			return tw.Flush()
		case sub == "revoke" && len(rest) == 1:
			if err := svc.RevokeKey(ctx, "", rest[0]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "revoked %s\n", rest[0])
			return nil
		}
		return errors.New("usage: ragchat keys create EMAIL [chat|documents:write|admin...] | list [EMAIL] | revoke ID")
	})
}

// accountsCmd opens the data directory like ingest (so it refuses while a
// server holds its lock; with PostgreSQL and Elasticsearch nothing is
// locked and it works beside running servers) and runs fn.
func accountsCmd(ctx context.Context, name string, args []string, getenv func(string) string, stdout, stderr io.Writer,
	fn func(svc *auth.Service, sub string, rest []string) error) error {
	data, rest, err := openCommand(ctx, name, args, getenv, stderr)
	if err != nil {
		return err
	}
	defer data.Close()
	svc, err := auth.New(ctx, data.db, auth.Config{})
	if err != nil {
		return err
	}
	sub := ""
	if len(rest) > 0 {
		sub, rest = rest[0], rest[1:]
	}
	if err := fn(svc, sub, rest); err != nil {
		return fmt.Errorf("%s %s: %w", name, sub, err)
	}
	return nil
}

func newPassword(getenv func(string) string) (string, bool) {
	if pw := getenv(passwordEnv); pw != "" {
		return pw, false
	}
	return strings.ToLower(rand.Text()), true
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.DateTime)
}
